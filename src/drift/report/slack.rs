//! Drift for Slack: a Block Kit payload that says WHAT differs per namespace (grouped by
//! kind when a section would be long), keeps not-measured and unresolved apart from drift,
//! names the commit and links the pipeline, stays within Slack's limits (50 blocks, 3000
//! characters per section) and says how much was cut. Posting retries 429 honouring
//! Retry-After and never logs the webhook URL.

use super::{human_age, Context};
use crate::drift::{DriftClass, DriftItem, DriftReport};
use anyhow::{bail, Result};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Slack's limit on blocks per message.
pub const MAX_BLOCKS: usize = 50;
/// Slack's limit on a section's text.
pub const MAX_SECTION_CHARS: usize = 3000;

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(40)).collect();
    let cut = cut
        .rsplit_once('\n')
        .map(|(a, _)| a.to_string())
        .unwrap_or(cut);
    format!("{cut}\n_… cut to fit Slack's limit_")
}

fn line(item: &DriftItem, ctx: &Context) -> String {
    let age = ctx
        .age(&item.key())
        .map(|a| format!(" _(for {})_", human_age(a)))
        .unwrap_or_default();
    let place = item
        .location
        .as_ref()
        .map(|l| format!(" — `{}:{}`", l.path, l.line))
        .unwrap_or_default();
    format!(
        "• {} {} `{}`: {}{place}{age}",
        item.class.as_str(),
        item.kind,
        item.name,
        item.message
    )
}

/// The text of one namespace's section: one line per object, or one line per kind and
/// class when that is too long.
fn namespace_text(ns: &str, items: &[&DriftItem], ctx: &Context) -> String {
    let full = format!(
        "*{ns}*\n{}",
        items
            .iter()
            .map(|i| line(i, ctx))
            .collect::<Vec<_>>()
            .join("\n")
    );
    if full.chars().count() <= MAX_SECTION_CHARS {
        return full;
    }
    let mut groups: BTreeMap<(DriftClass, &str), Vec<&str>> = BTreeMap::new();
    for i in items {
        groups
            .entry((i.class, i.kind.as_str()))
            .or_default()
            .push(&i.name);
    }
    let lines: Vec<String> = groups
        .iter()
        .map(|((class, kind), names)| {
            let shown: Vec<&str> = names.iter().take(8).copied().collect();
            let more = names.len().saturating_sub(shown.len());
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!(
                "• {} {kind} ×{}: {}{tail}",
                class.as_str(),
                names.len(),
                shown.join(", ")
            )
        })
        .collect();
    truncate(
        &format!("*{ns}* (grouped by kind)\n{}", lines.join("\n")),
        MAX_SECTION_CHARS,
    )
}

/// Builds the Block Kit payload.
pub fn payload(report: &DriftReport, ctx: &Context) -> Value {
    let summary = super::human::summary(report);
    let mut blocks = vec![json!({
        "type": "header",
        "text": { "type": "plain_text", "text": truncate(&format!("infra-audit drift: {} objects drift", report.items.len()), 150) }
    })];
    let mut context = vec![format!("source: {}", report.source)];
    if let Some(c) = &report.commit {
        context.push(format!("commit `{c}`"));
    }
    if let Some(url) = &ctx.pipeline_url {
        context.push(format!("<{url}|CI pipeline>"));
    }
    blocks.push(json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": truncate(&context.join(" · "), MAX_SECTION_CHARS) }] }));

    let mut by_ns: BTreeMap<String, Vec<&DriftItem>> = BTreeMap::new();
    for i in &report.items {
        by_ns
            .entry(
                i.namespace
                    .clone()
                    .unwrap_or_else(|| "(cluster-scoped)".into()),
            )
            .or_default()
            .push(i);
    }
    let mut tail = Vec::new();
    if !report.not_measured.is_empty() {
        let lines: Vec<String> = report
            .not_measured
            .iter()
            .map(|n| {
                format!(
                    "• {}{}: {}",
                    n.kind,
                    n.namespace
                        .as_deref()
                        .map(|ns| format!(" in {ns}"))
                        .unwrap_or_default(),
                    n.reason
                )
            })
            .collect();
        tail.push(section(&truncate(
            &format!(
                "*Not measured* (neither drift nor clean)\n{}",
                lines.join("\n")
            ),
            MAX_SECTION_CHARS,
        )));
    }
    if !report.unresolved.is_empty() {
        tail.push(section(&format!(
            "*Unresolved* (not drift): {} declared object{} could not be evaluated; run `infra-audit drift -v` to list them",
            report.unresolved.len(),
            if report.unresolved.len() == 1 { "" } else { "s" }
        )));
    }
    // Room left for namespace sections, keeping one block for the "cut" note.
    let room = MAX_BLOCKS - blocks.len() - tail.len() - 1;
    let total_ns = by_ns.len();
    let mut shown_items = 0;
    for (ns, items) in by_ns.iter().take(room) {
        shown_items += items.len();
        blocks.push(section(&namespace_text(ns, items, ctx)));
    }
    blocks.extend(tail);
    if total_ns > room {
        blocks.push(json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": format!(
            "{} more namespace{} with {} drifted object{} not shown (Slack allows {MAX_BLOCKS} blocks); see the JSON report",
            total_ns - room, if total_ns - room == 1 { "" } else { "s" },
            report.items.len() - shown_items, if report.items.len() - shown_items == 1 { "" } else { "s" }
        ) }] }));
    }
    json!({ "text": summary, "blocks": blocks })
}

/// Posts the payload; retries 429 (honouring Retry-After) and 5xx a few times. Errors never
/// contain the webhook URL (it is a secret).
pub fn post(webhook: &str, body: &Value, timeout: Duration) -> Result<()> {
    let text = serde_json::to_string(body)?;
    let agent = ureq::AgentBuilder::new().timeout(timeout).build();
    let mut wait = Duration::from_millis(500);
    for attempt in 1..=4 {
        match agent
            .post(webhook)
            .set("Content-Type", "application/json")
            .send_string(&text)
        {
            Ok(_) => return Ok(()),
            Err(ureq::Error::Status(code, response))
                if (code == 429 || code >= 500) && attempt < 4 =>
            {
                let retry_after = response
                    .header("Retry-After")
                    .and_then(|v| v.trim().parse::<u64>().ok());
                std::thread::sleep(
                    retry_after
                        .map(Duration::from_secs)
                        .unwrap_or(wait)
                        .min(Duration::from_secs(30)),
                );
                wait *= 2;
            }
            Err(ureq::Error::Status(code, response)) => {
                let detail: String = response
                    .into_string()
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect();
                bail!("the Slack webhook answered HTTP {code}: {detail}");
            }
            Err(ureq::Error::Transport(t)) => {
                bail!("could not reach the Slack webhook ({})", t.kind());
            }
        }
    }
    bail!("the Slack webhook kept answering 429/5xx")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::{DriftItem, DriftReport};
    use crate::live::NotMeasured;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    fn big_report() -> DriftReport {
        let mut items = Vec::new();
        for ns in 0..80 {
            for n in 0..(if ns == 0 { 200 } else { 3 }) {
                items.push(DriftItem {
                    class: DriftClass::Changed,
                    kind: "Deployment".into(),
                    namespace: Some(format!("ns-{ns:02}")),
                    name: format!("app-{n}"),
                    address: Some(format!("kubernetes_deployment.app_{n}")),
                    location: None,
                    changes: Vec::new(),
                    message: "container `web` image: nginx:1.27.0 -> nginx:1.27.1".into(),
                });
            }
        }
        DriftReport {
            items,
            not_measured: vec![NotMeasured {
                kind: "Secret".into(),
                namespace: None,
                reason: "forbidden (403)".into(),
            }],
            commit: Some("abc1234".into()),
            source: "https://10.0.20.100:6443".into(),
            ..Default::default()
        }
    }

    #[test]
    fn payload_stays_within_slack_limits_and_says_what_was_cut() {
        let ctx = Context {
            pipeline_url: Some("https://ci.example/repos/1/pipeline/7".into()),
            ..Default::default()
        };
        let p = payload(&big_report(), &ctx);
        let blocks = p["blocks"].as_array().unwrap();
        assert!(blocks.len() <= MAX_BLOCKS, "{} blocks", blocks.len());
        for b in blocks {
            if let Some(t) = b.pointer("/text/text").and_then(|t| t.as_str()) {
                assert!(
                    t.chars().count() <= MAX_SECTION_CHARS,
                    "section of {} chars",
                    t.chars().count()
                );
            }
        }
        let text = p.to_string();
        assert!(
            text.contains("ns-00* (grouped by kind)"),
            "long namespace grouped by kind"
        );
        assert!(text.contains("more namespaces with"), "cut note");
        assert!(
            text.contains("*Not measured*")
                && text.contains("commit `abc1234`")
                && text.contains("|CI pipeline>")
        );
        assert_eq!(blocks[0]["type"], "header");
    }

    /// A loopback webhook: answers each request with the next status, records bodies.
    fn receiver(
        statuses: Vec<(u16, Option<&'static str>)>,
    ) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://127.0.0.1:{}/services/T000/B000/SECRETTOKEN",
            listener.local_addr().unwrap().port()
        );
        let handle = std::thread::spawn(move || {
            let mut bodies = Vec::new();
            for (status, retry_after) in statuses {
                let (mut stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                bodies.push(String::from_utf8(body).unwrap());
                let extra = retry_after
                    .map(|r| format!("Retry-After: {r}\r\n"))
                    .unwrap_or_default();
                write!(stream, "HTTP/1.1 {status} X\r\n{extra}Content-Length: 2\r\nConnection: close\r\n\r\nok").unwrap();
            }
            bodies
        });
        (url, handle)
    }

    #[test]
    fn posts_with_retry_after_on_429() {
        let (url, handle) = receiver(vec![(429, Some("0")), (200, None)]);
        let body = payload(&big_report(), &Context::default());
        post(&url, &body, Duration::from_secs(5)).unwrap();
        let bodies = handle.join().unwrap();
        assert_eq!(bodies.len(), 2);
        let sent: Value = serde_json::from_str(&bodies[1]).unwrap();
        assert!(sent["blocks"].as_array().unwrap().len() <= MAX_BLOCKS);
    }

    #[test]
    fn errors_never_contain_the_webhook_url() {
        let (url, handle) = receiver(vec![(403, None)]);
        let err = post(&url, &json!({"text": "x"}), Duration::from_secs(5))
            .unwrap_err()
            .to_string();
        handle.join().unwrap();
        assert!(err.contains("403"), "{err}");
        assert!(
            !err.contains("SECRETTOKEN") && !err.contains("127.0.0.1"),
            "{err}"
        );
    }
}
