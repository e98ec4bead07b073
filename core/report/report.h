#pragma once

#include "diagnosis/diagnosis.h"
#include "plan/plan.h"
#include "results/comparison.h"
#include "results/edgeresults.h"
#include "results/experimentrecord.h"
#include "results/matrix.h"
#include "results/runstats.h"
#include "results/sample.h"
#include "topology/graph.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace nestscope {

/// What one edge of the graph shows of a run: the targets whose verdicts it carries (an
/// instance's own edges that instance's, a bridge's route every instance on the bridge, the
/// runner's the runner's), and per family whether they passed.
struct EdgeVerdict {
    enum class Look { Plain, Unknown, Pass, Fail, Mixed };
    Look look = Look::Plain; ///< Plain when the run has no HTTP/TCP verdicts at all
    QStringList targets;
    std::optional<bool> ipv4;
    std::optional<bool> ipv6;
};

/// One EdgeVerdict per edge of `graph`, in its order.
QList<EdgeVerdict> edgeVerdicts(const TopologyGraph &graph, const EdgeResults &results);

/// The content of a root-cause report, computed once from a run (and, for the verification, a
/// later run after the fix) and then rendered as Markdown, HTML or PDF, so the three say the same.
/// Built by buildReport(); a value type without a screen.
struct Report {
    struct RunInfo {
        QString planName;
        QString host;
        QDateTime startedAt;
        QDateTime finishedAt;
        bool cancelled = false;
        qsizetype samples = 0;
        qsizetype broken = 0; ///< samples whose expectation did not hold
    };

    /// Environment: what the run's topology snapshot says about the runner and LXD.
    struct Bridge {
        QString name;
        QString type;
        QString ipv4; ///< ipv4.address ("none", a CIDR, "auto", or "" when unset)
        QString ipv6;
        bool ipv4Nat = false;
        bool ipv6Nat = false;
        int mtu = 0;
        QStringList usedBy; ///< instance names
    };
    struct Instance {
        QString name;
        QString type;
        QString status;
        QStringList addresses; ///< global addresses of its NICs, "eth0 10.0.0.2/24"
    };
    struct Environment {
        bool known = false; ///< the run carried a topology snapshot that parsed
        QString unknownWhy; ///< why not, when !known
        QString runner; ///< hostname
        QString transport;
        QString kernel;
        QString lxd; ///< "lxc 5.0.2" / "incus 6.0", "" when neither was found
        QString lxdFirewallDriver;
        QString firewall; ///< backend and FORWARD policies, in words
        QString ipForward; ///< "net.ipv4.ip_forward = 1, net.ipv6.conf.all.forwarding = 0"
        QString defaultRoutes; ///< "IPv4 via 10.0.2.2 dev eth0; IPv6 none"
        QString policyRules; ///< `ip rule` lines beyond the standard local/main/default ones
        QString proxies; ///< the runner's proxy settings, credentials masked
        QList<Bridge> bridges;
        QList<Instance> instances;
        /// What the topology alone shows (findProblems()), errors first; the same rule on many
        /// instances is told once, with the other nodes it holds for.
        struct Problem {
            TopoProblem problem;
            QStringList alsoOn; ///< node ids
        };
        QList<Problem> problems;
    };

    /// A probe whose verdict on the runner differs from one on an instance.
    struct Difference {
        QString probeId;
        bool runnerPassed = false;
        QStringList instancesPassing;
        QStringList instancesFailing;
    };

    /// The first sample of a cell that broke its expectation, whole (as far as the run kept it);
    /// the other targets where the probe broke the same way (same verdict, same message) with it.
    struct Failure {
        QString probeId;
        QStringList targets;
        Sample sample; ///< the first target's
        QString why; ///< the message, or "passed, but the plan expects it to fail"
    };

    /// The verification: the run against a later one, cell by cell.
    struct Verification {
        RunInfo later;
        Comparison comparison;
        QList<CellComparison> changed; ///< fixed, broke, slower, faster, added, removed
        QList<CellComparison> stillFailing; ///< failing in both runs
        int fixed = 0;
        int broke = 0;
        std::optional<Diagnosis> laterDiagnosis;
        /// What makes the comparison doubtful, in words: another runner or plan, or a "later" run
        /// that started before the run (two files given in the wrong order). Empty when none.
        QStringList caveats;
        /// Verified: cells were fixed, none broke and none still fails. Partly: fixed, none broke,
        /// but some fail in both runs (often a probe the fix was not about). Otherwise not verified.
        enum class Outcome { Verified, Partly, NotVerified };
        Outcome outcome = Outcome::NotVerified;
        bool verified() const { return outcome == Outcome::Verified; }
    };

    /// One command per (target, probe), in the run's order, with how often it ran.
    struct Command {
        QString probeId;
        QString command;
        int times = 0;
        friend bool operator==(const Command &, const Command &) = default;
    };
    /// Targets that ran the same commands (as often): an instance fleet is listed once.
    struct CommandGroup {
        QStringList targets;
        QList<Command> commands;
    };

    /// One chart row: a probe on a target.
    struct ChartRow {
        QString probeId;
        QString target;
        LatencyStats latency; ///< over the samples that passed (a failure's time is not a latency)
        double successRate = -1; ///< -1 when nothing ran
    };

    QString title;
    /// One paragraph: what is broken, the cause, the fix, whether the fix was verified.
    QString summary;
    RunInfo run;
    Environment environment;
    Matrix matrix; ///< probes x every target
    /// The matrix as the report shows it: with more than 8 targets, the instances whose verdict is
    /// the same on every probe share one column, labelled by targetList() (see mergedColumns).
    Matrix symptoms;
    QMap<QString, QStringList> mergedColumns; ///< a shared column's label -> its targets
    QList<Difference> differences;
    QList<Failure> failures;
    std::optional<Diagnosis> diagnosis; ///< empty when the run could not be diagnosed
    QString noDiagnosisWhy;
    std::optional<Verification> verification;
    /// The fixes tried on the runner from this run's findings (nestscope experiment, Try the Fix…),
    /// oldest first: what ran, how it ended, and what undoes it.
    QList<Experiment> experiments;
    QList<CommandGroup> commands; ///< in the run's order
    QList<ChartRow> chart; ///< per probe and column of `symptoms`

    // The topology figure: the graph, its layout and the run's verdicts on each edge.
    TopologyGraph graph;
    TopoLayout layout;
    QList<EdgeVerdict> edges;
    bool hasFigure() const { return !graph.nodes.isEmpty() && !layout.nodes.isEmpty(); }
};

/// What buildReport() is given: the run, its diagnosis (when there is one: else it is made from
/// the run's own topology snapshot), and optionally a later run to verify against.
struct ReportInput {
    const Run *run = nullptr;
    const Plan *plan = nullptr; ///< when null, parsed from the run's own plan text
    const Diagnosis *diagnosis = nullptr;
    const Run *later = nullptr;
    const Diagnosis *laterDiagnosis = nullptr;
    QList<Experiment> experiments; ///< tried from this run (RunStore::experiments(), by baseline run)
    bool withFigure = true; ///< lay the topology out (Graphviz) for the HTML and PDF
};

Report buildReport(const ReportInput &input);

/// "vm1, vm2" for up to six targets, else "vm0001, vm0002, vm0003 … vm0238 (238 targets)".
QString targetList(const QStringList &targets);

/// The report as GitHub-flavoured Markdown: tables with escaped pipes, long outputs folded in
/// <details>, nothing cut in the middle of a message. No figures (GitHub cannot show inline SVG).
QByteArray reportToMarkdown(const Report &report);

/// How the HTML is meant to be read.
enum class HtmlFlavour {
    Browser, ///< one self-contained XHTML-compatible file: inline SVG, light/dark, print CSS
    TextDocument, ///< the subset QTextDocument lays out (the PDF): figures as <img src="figure:...">
};

/// The report as one HTML document; `flavour` picks the reader (see HtmlFlavour).
QByteArray reportToHtml(const Report &report, HtmlFlavour flavour = HtmlFlavour::Browser);

/// The figures, as standalone SVG documents (presentation attributes in the light scheme, plus
/// class names the HTML's dark scheme overrides). Empty when there is nothing to draw.
QByteArray topologyFigureSvg(const Report &report);
QByteArray latencyChartSvg(const Report &report);
QByteArray successChartSvg(const Report &report);

} // namespace nestscope
