//! How a run is shown on stderr: one plain line per change (CI logs, notebook `!` cells), or on
//! a terminal one table of all steps, redrawn in place as `argo submit --watch` does. Pure: the
//! caller passes the time and the terminal's width.

use super::status::{Change, Phase, Progress, Step};

/// `0s`, `45s`, `3m05s`, `2h03m`: short, and stable in width while it counts.
pub fn format_elapsed(ms: i64) -> String {
    let seconds = ms.max(0) / 1000;
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// How long a step or run took, or has been going (`None` before it started).
fn elapsed(started: Option<i64>, finished: Option<i64>, now_ms: i64) -> Option<i64> {
    started.map(|start| finished.unwrap_or(now_ms) - start)
}

/// One line for one change, e.g. `job-2: Failed after 5s: Error (exit code 1)`.
pub fn change_line(change: &Change, progress: &Progress, now_ms: i64) -> String {
    match change {
        Change::Workflow { phase, message } => {
            let mut line = format!("workflow {}: {}", progress.name, phase.as_str());
            if phase.is_final() {
                if let Some(ms) = elapsed(progress.started_ms, progress.finished_ms, now_ms) {
                    line.push_str(&format!(" after {}", format_elapsed(ms)));
                }
            }
            if let Some(message) = message {
                line.push_str(&format!(": {message}"));
            }
            line
        }
        Change::Step(step) => step_line(step, now_ms),
    }
}

fn step_line(step: &Step, now_ms: i64) -> String {
    let mut line = format!("{}: {}", step.name, step.phase.as_str());
    if step.phase.is_final() {
        if let Some(ms) = elapsed(step.started_ms, step.finished_ms, now_ms) {
            line.push_str(&format!(" after {}", format_elapsed(ms)));
        }
    }
    if let Some(points) = step.points {
        line.push_str(&format!(", {}/{} points done", points.done, points.total));
    }
    if step.phase.is_failure() {
        if let Some(message) = &step.message {
            line.push_str(&format!(": {message}"));
        }
    }
    line
}

/// Argo CLI's marks for node phases (`argo get`, `argo watch`).
fn mark(phase: Phase) -> &'static str {
    match phase {
        Phase::Waiting => "·",
        Phase::Pending => "◷",
        Phase::Running => "●",
        Phase::Succeeded => "✔",
        Phase::Skipped | Phase::Omitted => "○",
        Phase::Failed => "✖",
        Phase::Error => "⚠",
    }
}

/// The terminal view: a heading line, then one row per step, each cut to `width` characters
/// (a wrapped line would break redrawing in place).
pub fn table(progress: &Progress, now_ms: i64, width: usize) -> Vec<String> {
    let mut heading = format!(
        "workflow {} (namespace {}): {}",
        progress.name,
        progress.namespace,
        progress.phase.as_str()
    );
    if let Some(ms) = elapsed(progress.started_ms, progress.finished_ms, now_ms) {
        heading.push_str(&format!(", {}", format_elapsed(ms)));
    }
    let name_width = progress
        .steps
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, 40);
    let mut lines = vec![heading];
    lines.push(format!(
        "  {:<name_width$}  {:<9}  {:>6}  POINTS",
        "STEP", "STATE", "TIME"
    ));
    for step in &progress.steps {
        let time = elapsed(step.started_ms, step.finished_ms, now_ms)
            .map(format_elapsed)
            .unwrap_or_default();
        let points = step
            .points
            .map(|p| format!("{}/{}", p.done, p.total))
            .unwrap_or_default();
        let mut row = format!(
            "{} {:<name_width$}  {:<9}  {:>6}  {:<6}",
            mark(step.phase),
            step.name,
            step.phase.as_str(),
            time,
            points
        );
        if step.phase.is_failure() {
            if let Some(message) = &step.message {
                row.push_str(&format!("  {message}"));
            }
        }
        lines.push(row.trim_end().to_string());
    }
    lines
        .into_iter()
        .map(|line| cut_to_width(&line, width))
        .collect()
}

fn cut_to_width(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_string();
    }
    let mut cut: String = line.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Redraws a block of lines in place: up to the block's first line, clear to the end of the
/// screen, write the new block. One write per frame, so it does not flicker.
#[derive(Debug, Default)]
pub struct Redraw {
    lines_drawn: usize,
}

impl Redraw {
    pub fn frame(&mut self, lines: &[String]) -> String {
        let mut text = String::new();
        if self.lines_drawn > 0 {
            text.push_str(&format!("\r\x1b[{}A", self.lines_drawn));
        }
        text.push_str("\x1b[J");
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        self.lines_drawn = lines.len();
        text
    }
}

#[cfg(test)]
mod tests {
    use super::super::status::Points;
    use super::*;

    const T0: i64 = 1_795_946_400_000;

    fn step(name: &str, phase: Phase, started: Option<i64>, finished: Option<i64>) -> Step {
        Step {
            name: name.into(),
            phase,
            started_ms: started,
            finished_ms: finished,
            message: None,
            points: None,
        }
    }

    fn progress(steps: Vec<Step>) -> Progress {
        Progress {
            name: "wf-abc12".into(),
            namespace: "jhub".into(),
            phase: Phase::Running,
            message: None,
            started_ms: Some(T0),
            finished_ms: None,
            steps,
        }
    }

    #[test]
    fn elapsed_times_are_short() {
        assert_eq!(format_elapsed(0), "0s");
        assert_eq!(format_elapsed(45_999), "45s");
        assert_eq!(format_elapsed(185_000), "3m05s");
        assert_eq!(format_elapsed(7_380_000), "2h03m");
        assert_eq!(format_elapsed(-5), "0s", "a clock skewed behind the server");
    }

    #[test]
    fn plain_lines_say_state_time_points_and_failure() {
        let run = progress(vec![]);
        let now = T0 + 12_000;
        let mut failed = step("job-2", Phase::Failed, Some(T0), Some(T0 + 5_000));
        failed.message = Some("Error (exit code 1)".into());
        assert_eq!(
            change_line(&Change::Step(failed), &run, now),
            "job-2: Failed after 5s: Error (exit code 1)"
        );
        assert_eq!(
            change_line(
                &Change::Step(step("job-1", Phase::Running, Some(T0), None)),
                &run,
                now
            ),
            "job-1: Running"
        );
        let mut sweep = step("train", Phase::Running, Some(T0), None);
        sweep.points = Some(Points { done: 2, total: 6 });
        assert_eq!(
            change_line(&Change::Step(sweep), &run, now),
            "train: Running, 2/6 points done"
        );
        let mut done = run.clone();
        done.finished_ms = Some(T0 + 12_000);
        assert_eq!(
            change_line(
                &Change::Workflow {
                    phase: Phase::Succeeded,
                    message: None
                },
                &done,
                now
            ),
            "workflow wf-abc12: Succeeded after 12s"
        );
    }

    #[test]
    fn the_table_lines_up_every_step() {
        let mut failed = step("train", Phase::Failed, Some(T0 + 3_000), Some(T0 + 8_000));
        failed.message = Some("Error (exit code 1)".into());
        let mut sweep = step("sweep", Phase::Running, Some(T0 + 3_000), None);
        sweep.points = Some(Points { done: 1, total: 4 });
        let run = progress(vec![
            step("prep", Phase::Succeeded, Some(T0), Some(T0 + 3_000)),
            failed,
            sweep,
            step("eval", Phase::Waiting, None, None),
        ]);
        let lines = table(&run, T0 + 65_000, 100);
        assert_eq!(
            lines,
            [
                "workflow wf-abc12 (namespace jhub): Running, 1m05s",
                "  STEP   STATE        TIME  POINTS",
                "✔ prep   Succeeded      3s",
                "✖ train  Failed         5s          Error (exit code 1)",
                "● sweep  Running     1m02s  1/4",
                "· eval   Waiting",
            ]
        );
        let narrow = table(&run, T0 + 65_000, 20);
        assert!(narrow.iter().all(|l| l.chars().count() <= 20), "{narrow:?}");
        assert_eq!(narrow[0], "workflow wf-abc12 (…");
    }

    #[test]
    fn redrawing_goes_back_over_the_last_frame() {
        let mut redraw = Redraw::default();
        let lines = vec!["a".to_string(), "b".to_string()];
        assert_eq!(redraw.frame(&lines), "\x1b[Ja\nb\n");
        assert_eq!(redraw.frame(&lines[..1]), "\r\x1b[2A\x1b[Ja\n");
        assert_eq!(redraw.frame(&lines), "\r\x1b[1A\x1b[Ja\nb\n");
    }
}
