#pragma once

#include "common/result.h"
#include "results/sample.h"
#include "topology/topology.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace nestscope {

/// How sure a finding is, with the reason kept next to it (Finding::confidenceReason).
enum class Confidence { High, Medium, Low };

QString toText(Confidence confidence);
std::optional<Confidence> confidenceFromString(const QString &text);

/// One piece of evidence: a sample (probe on a target, one repetition, with the command and an
/// excerpt of what it printed) or a topology fact (its raw text: a rule line, a route, a sysctl,
/// a config key).
struct Evidence {
    enum class Kind { Sample, Fact };
    Kind kind = Kind::Fact;
    // Sample
    QString probeId;
    QString target;
    int repetition = 0;
    QString status; ///< "pass", "fail", "timeout", ...
    QString command;
    // Fact
    QString source; ///< where the fact comes from: "iptables-save", "nft -j list ruleset", "sysctl",
                    ///< "ip route", "lxc network show lxdbr0", "ip link", "instance vm1", ...
    /// The raw text: for a fact the line itself, for a sample an excerpt of its output or message.
    QString text;
    QString note; ///< what it shows, in words

    friend bool operator==(const Evidence &, const Evidence &) = default;
};

/// One step of a fix: an exact command, the command that undoes it, and what it does.
struct FixStep {
    QString command;
    QString revert;
    QString note;

    friend bool operator==(const FixStep &, const FixStep &) = default;
};

/// A diagnosed cause. `id` is stable ("firewall-forward-drop", "nat-missing-ipv4", ...) so that
/// tests, reports and experiments can refer to it; docs/diagnosis.md lists them all.
struct Finding {
    QString id;
    QString title; ///< one line
    QString cause; ///< a short paragraph: what is wrong and why it gives what the run shows
    Confidence confidence = Confidence::Low;
    QString confidenceReason;
    QStringList targets; ///< affected targets ("runner", "vm1", ...)
    QStringList families; ///< "ipv4", "ipv6"; empty when the finding is not about one family
    QList<Evidence> evidence;
    QList<FixStep> fix; ///< empty when there is nothing safe to change (e.g. "unexplained")
    QStringList checks; ///< read-only commands that confirm or refine the finding
    QStringList references; ///< documentation URLs, as plain text

    friend bool operator==(const Finding &, const Finding &) = default;
};

/// The verdict on one run: ranked findings (most likely cause first), or healthy.
struct Diagnosis {
    enum class Verdict {
        Healthy, ///< nothing failed that matters: no finding at all
        Explained, ///< at least one cause found
        Unexplained, ///< failures, but no rule fits: one "unexplained" finding lists the differences
        NoData, ///< the run has no sample to judge (empty or all skipped)
    };
    Verdict verdict = Verdict::NoData;
    QString summary; ///< one line for a status bar or the top of a report
    QList<Finding> findings;
    /// Topology facts the diagnosis could not read (a ruleset that did not parse, ...).
    QStringList notes;

    bool isHealthy() const { return verdict == Verdict::Healthy; }
    const Finding *find(const QString &id) const;

    friend bool operator==(const Diagnosis &, const Diagnosis &) = default;
};

QString toText(Diagnosis::Verdict verdict);

/// Concludes from both vantage points: what the runner can do that the instances cannot, per
/// family and layer (address, route, DNS, ICMP, TCP, HTTP, TLS, bulk), checked against the
/// topology (firewall rules in order, NAT, forwarding sysctls, routes of every table, the bridge's
/// config). `earlier`, when given, is a previous run on the same runner: cells that passed there
/// and fail now are named in the evidence. Pure function: same input, same output.
Diagnosis diagnose(const Topology &topology, const Run &run, const Run *earlier = nullptr);

/// A probe still running when a verdict is asked for (PlanRunner::running()).
struct RunningProbe {
    QString probeId;
    QString target;
    qint64 elapsedMs = 0;
    /// A DNS lookup or a TCP connect: where the path works they answer (or are refused) in
    /// milliseconds, and the kernel resends an unanswered SYN after 1 s.
    bool quickAnswer = false;
};

/// The run as a verdict made while it still runs reads it: a probe that has been running on an
/// instance for at least `stallMs`, and at least four times as long as the same probe took to pass
/// on the runner, counts as unanswered (a timeout sample whose message says it is still running)
/// as long as its cell has no finished sample. A connection the runner made in 5 ms that is still
/// unanswered after 2 s will time out; waiting out the 10 s tells nobody anything new. A DNS lookup or
/// a TCP connect (quickAnswer) unanswered for 3 s on any target, the runner too, counts the same: a
/// TCP connect's SYN and the kernel's first retransmission (RFC 6298's 1 s initial timeout) both
/// went unanswered; a resolver that works answers in milliseconds. These samples are for the verdict
/// only and are never stored.
Run withStalledProbes(const Run &run, const QList<RunningProbe> &running, qint64 stallMs = 2000);

/// Reads the run's own topology snapshot (Run::topologyJson) and diagnoses with it; an Error when
/// the run has no snapshot or it does not parse.
Result<Diagnosis> diagnoseRun(const Run &run, const Run *earlier = nullptr);

/// JSON form, for `nestscope run --json` / `topology --json` / `diagnose`:
/// {"format": "nestscope-diagnosis", "version": 1, "verdict", "summary", "notes": [...],
///  "findings": [{"id", "title", "cause", "confidence", "confidence_reason", "targets",
///   "families", "evidence": [{"kind": "sample"|"fact", ...}], "fix": [{"command", "revert",
///   "note"}], "checks", "references"}]}.
QJsonObject toJson(const Diagnosis &diagnosis);
Result<Diagnosis> diagnosisFromJson(const QJsonObject &json);

} // namespace nestscope
