// The report as HTML, and its figures as SVG, written as text: no QPainter, no fonts, so this
// stays in the core and `nestscope run --html` needs no display. The HTML is XHTML-compatible
// (every element closed, only the five XML entities), so a strict XML parser reads it.
#include "report.h"

#include <QHash>
#include <QRegularExpression>
#include <QStringList>

#include <algorithm>
#include <cmath>

namespace nestscope {

namespace {

/// Text for XML: the five special characters escaped, control characters (which XML 1.0 cannot
/// carry) shown as U+FFFD.
QString esc(const QString &text)
{
    QString out;
    out.reserve(text.size() + text.size() / 8);
    for (const QChar c : text) {
        switch (c.unicode()) {
        case '&':
            out += QStringLiteral("&amp;");
            break;
        case '<':
            out += QStringLiteral("&lt;");
            break;
        case '>':
            out += QStringLiteral("&gt;");
            break;
        case '"':
            out += QStringLiteral("&quot;");
            break;
        default:
            if ((c.unicode() < 0x20 && c != QLatin1Char('\n') && c != QLatin1Char('\t')) || c.unicode() == 0xFFFE
                || c.unicode() == 0xFFFF) {
                out += QChar(0xFFFD);
            } else {
                out += c;
            }
        }
    }
    return out;
}

/// Prose from the diagnosis and the topology rules marks commands as Markdown code (`...`): escaped
/// for XML, with those spans as <code>.
QString inl(const QString &text)
{
    static const QRegularExpression code(QStringLiteral("`([^`]+)`"));
    return esc(text).replace(code, QStringLiteral("<code>\\1</code>"));
}

QString num(double v)
{
    return QString::number(v, 'f', 1);
}

QString ms(double value)
{
    return value < 10 ? QString::number(value, 'f', 1) + QStringLiteral(" ms")
                      : QString::number(qRound(value)) + QStringLiteral(" ms");
}

QString when(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) + QStringLiteral(" UTC")
                       : QStringLiteral("unknown");
}

const char *kPass = "#2e8b3e";
const char *kFail = "#d02a1e";
const char *kMixed = "#e08e00";
const char *kUnknown = "#a8a8a8";
const char *kPlain = "#6b7280";

QString edgeColour(EdgeVerdict::Look look)
{
    switch (look) {
    case EdgeVerdict::Look::Pass:
        return QLatin1String(kPass);
    case EdgeVerdict::Look::Fail:
        return QLatin1String(kFail);
    case EdgeVerdict::Look::Mixed:
        return QLatin1String(kMixed);
    case EdgeVerdict::Look::Unknown:
        return QLatin1String(kUnknown);
    case EdgeVerdict::Look::Plain:
        break;
    }
    return QLatin1String(kPlain);
}

QString kindColour(TopoNode::Kind kind)
{
    switch (kind) {
    case TopoNode::Kind::Uplink:
        return QStringLiteral("#7c3aed");
    case TopoNode::Kind::Runner:
        return QStringLiteral("#1d4ed8");
    case TopoNode::Kind::Interface:
        return QStringLiteral("#0891b2");
    case TopoNode::Kind::Bridge:
        return QStringLiteral("#ca8a04");
    case TopoNode::Kind::Instance:
        return QStringLiteral("#059669");
    case TopoNode::Kind::Nic:
        return QStringLiteral("#64748b");
    case TopoNode::Kind::Docker:
        return QStringLiteral("#0ea5e9");
    }
    return QStringLiteral("#64748b");
}

QString svgOpen(double width, double height, const QString &title)
{
    return QStringLiteral("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%1\" height=\"%2\" "
                          "viewBox=\"0 0 %1 %2\" font-family=\"DejaVu Sans, Verdana, sans-serif\" role=\"img\">"
                          "<title>%3</title>")
        .arg(num(width), num(height), esc(title));
}

// The charts: one row per probe on a target, grouped by probe.
constexpr double kChartWidth = 720;
constexpr double kLabelWidth = 230;
constexpr double kRowHeight = 15;
constexpr double kChartTop = 22;

QString rowLabel(const Report::ChartRow &row)
{
    return row.probeId + QStringLiteral(" · ") + row.target;
}

QString successColour(double rate)
{
    return QLatin1String(rate >= 1.0 ? kPass : rate <= 0.0 ? kFail : kMixed);
}

struct HtmlWriter {
    const Report &r;
    HtmlFlavour flavour;
    QString out;

    bool browser() const { return flavour == HtmlFlavour::Browser; }

    void folded(const QString &summary, const QString &body)
    {
        if (browser()) {
            out += QStringLiteral("<details><summary>%1</summary>%2</details>\n").arg(esc(summary), body);
        } else {
            out += QStringLiteral("<p class=\"fold\"><i>%1</i></p>%2\n").arg(esc(summary), body);
        }
    }
    void pre(const QString &text, const QString &cls = QStringLiteral("out"))
    {
        out += QStringLiteral("<pre class=\"%1\">%2</pre>\n").arg(cls, esc(text));
    }
    QString preText(const QString &text) const { return QStringLiteral("<pre class=\"out\">%1</pre>").arg(esc(text)); }
    void rawBlock(const QString &text)
    {
        if (text.count(QLatin1Char('\n')) < 8) {
            pre(text);
        } else {
            folded(QStringLiteral("%1 lines").arg(text.count(QLatin1Char('\n')) + 1), preText(text));
        }
    }
    void figure(const QString &id, const QByteArray &svg, const QString &caption)
    {
        if (svg.isEmpty()) {
            return;
        }
        out += QStringLiteral("<div class=\"figure\">");
        if (browser()) {
            out += QString::fromUtf8(svg);
        } else {
            out += QStringLiteral("<img src=\"figure:%1\"/>").arg(id);
        }
        out += QStringLiteral("<p class=\"caption\">%1</p></div>\n").arg(esc(caption));
    }
    QString status(const MatrixCell &cell) const
    {
        if (cell.isEmpty()) {
            return QStringLiteral("<td class=\"none\">%1</td>")
                .arg(cell.skipped > 0 ? QStringLiteral("skipped") : QStringLiteral("–"));
        }
        const QString cls = cell.passed == cell.total ? QStringLiteral("pass")
            : cell.passed == 0                        ? QStringLiteral("fail")
                                                      : QStringLiteral("mixed");
        const QString word = cell.passed == cell.total ? QStringLiteral("✔")
            : cell.passed == 0                         ? QStringLiteral("✘")
                                                       : QStringLiteral("◐");
        // The colour is repeated as a font colour: QTextDocument (the PDF) has no CSS classes on cells.
        const QString colour = QLatin1String(cls == QLatin1String("pass") ? kPass
                : cls == QLatin1String("fail")                            ? kFail
                                                                          : kMixed);
        return QStringLiteral("<td class=\"%1\"><font color=\"%2\">%3</font> %4/%5 · %6</td>")
            .arg(cls, colour, word)
            .arg(cell.passed)
            .arg(cell.total)
            .arg(ms(cell.medianMs));
    }
    void table(const QStringList &headers, const QList<QStringList> &rows)
    {
        out += QStringLiteral("<table border=\"1\" cellspacing=\"0\" cellpadding=\"3\">");
        // A table of names and values (the environment) has no header row to show.
        if (std::any_of(headers.cbegin(), headers.cend(), [](const QString &h) {
                return !h.isEmpty();
            })) {
            out += QStringLiteral("<thead><tr>");
            for (const QString &h : headers) {
                out += QStringLiteral("<th>%1</th>").arg(esc(h));
            }
            out += QStringLiteral("</tr></thead>");
        }
        out += QStringLiteral("<tbody>\n");
        for (const QStringList &row : rows) {
            out += QStringLiteral("<tr>");
            for (const QString &cell : row) {
                out += QStringLiteral("<td>%1</td>").arg(esc(cell));
            }
            out += QStringLiteral("</tr>\n");
        }
        out += QStringLiteral("</tbody></table>\n");
    }
    QString runLine(const Report::RunInfo &run) const
    {
        return QStringLiteral("<code>%1</code> on <b>%2</b>, %3 to %4%5: %6 samples, %7 broke an expectation")
            .arg(esc(run.planName), esc(run.host), when(run.startedAt), when(run.finishedAt),
                run.cancelled ? QStringLiteral(" (cancelled)") : QString())
            .arg(run.samples)
            .arg(run.broken);
    }

    void write();
    void findings();
};

QString css()
{
    // Light by default, dark when the reader's system prefers it, black on white when printed.
    return QStringLiteral(
        ":root{--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--border:#d1d9e0;--code:#f6f8fa;--node:#ffffff;"
        "--nodetext:#1f2328;--pass:#1a7f37;--fail:#cf222e;--mixed:#9a6700;color-scheme:light dark}\n"
        "@media (prefers-color-scheme: dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--border:#3d444d;"
        "--code:#151b23;--node:#151b23;--nodetext:#e6edf3;--pass:#3fb950;--fail:#f85149;--mixed:#d29922}}\n"
        "body{background:var(--bg);color:var(--fg);font:15px/1.5 -apple-system,'Segoe UI','DejaVu Sans',"
        "sans-serif;max-width:72rem;margin:0 auto;padding:1.5rem}\n"
        "h1,h2,h3{line-height:1.25}h2{border-bottom:1px solid var(--border);padding-bottom:.3rem;margin-top:2rem}\n"
        ".summary{font-size:1.05rem;border-left:4px solid var(--border);padding-left:1rem}\n"
        ".meta{color:var(--muted)}\n"
        "table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}"
        "th,td{border:1px solid var(--border);padding:.2rem .5rem;text-align:left;vertical-align:top}\n"
        "td.pass font{color:var(--pass)}td.fail font{color:var(--fail)}td.mixed font{color:var(--mixed)}"
        "td.none{color:var(--muted)}\n"
        "pre,code{font-family:'DejaVu Sans Mono',ui-monospace,monospace;font-size:.85rem}"
        "pre{background:var(--code);border:1px solid var(--border);padding:.5rem;overflow-x:auto;"
        "white-space:pre-wrap;word-break:break-word}\n"
        "details{margin:.3rem 0}summary{cursor:pointer;color:var(--muted)}\n"
        ".figure{overflow-x:auto;margin:1rem 0}.figure svg{max-width:100%;height:auto}"
        ".caption{color:var(--muted);font-size:.85rem}\n"
        "svg .n{fill:var(--node)}svg .t{fill:var(--nodetext)}svg .d{fill:var(--muted)}"
        "svg .g{stroke:var(--border)}svg .axis{stroke:var(--border)}\n"
        ".confidence{font-weight:bold}\n"
        "@media print{:root{--bg:#ffffff;--fg:#000000;--muted:#444444;--border:#999999;--code:#ffffff;"
        "--node:#ffffff;--nodetext:#000000}body{max-width:none;padding:0;font-size:11pt}"
        "h2{break-after:avoid}pre,table,.figure{break-inside:avoid}"
        "a{color:inherit;text-decoration:none}}\n");
}

void HtmlWriter::findings()
{
    const Diagnosis &d = *r.diagnosis;
    out += QStringLiteral("<p><b>%1</b></p>\n").arg(esc(d.summary));
    int rank = 0;
    for (const Finding &f : d.findings) {
        out += QStringLiteral("<h3 id=\"finding-%1\">%2. %3</h3>\n").arg(esc(f.id)).arg(++rank).arg(esc(f.title));
        out += QStringLiteral("<p>%1</p>\n").arg(inl(f.cause));
        out += QStringLiteral("<p><span class=\"confidence\">Confidence: %1</span> — %2</p>\n")
                   .arg(esc(toText(f.confidence)), inl(f.confidenceReason));
        QStringList affected = f.targets;
        if (!f.families.isEmpty()) {
            affected << QStringLiteral("families: ") + f.families.join(QStringLiteral(", "));
        }
        if (!affected.isEmpty()) {
            out += QStringLiteral("<p><b>Affects</b>: %1</p>\n").arg(esc(affected.join(QStringLiteral(" · "))));
        }
        if (!f.evidence.isEmpty()) {
            out += QStringLiteral("<p><b>Evidence</b></p>\n<ul>\n");
            for (const Evidence &e : f.evidence) {
                out += QStringLiteral("<li>");
                if (e.kind == Evidence::Kind::Sample) {
                    out += QStringLiteral("<code>%1</code> on <b>%2</b> (repetition %3): %4%5")
                               .arg(esc(e.probeId), esc(e.target))
                               .arg(e.repetition + 1)
                               .arg(esc(e.status), e.note.isEmpty() ? QString() : QStringLiteral(" — ") + esc(e.note));
                    QString raw
                        = e.command.isEmpty() ? QString() : QStringLiteral("$ ") + e.command + QLatin1Char('\n');
                    raw += e.text;
                    if (!raw.trimmed().isEmpty()) {
                        rawBlock(raw);
                    }
                } else {
                    out += esc(e.source) + (e.note.isEmpty() ? QString() : QStringLiteral(" — ") + esc(e.note));
                    rawBlock(e.text);
                }
                out += QStringLiteral("</li>\n");
            }
            out += QStringLiteral("</ul>\n");
        }
        if (!f.checks.isEmpty()) {
            out += QStringLiteral("<p><b>To confirm</b></p>\n");
            pre(f.checks.join(QLatin1Char('\n')), QStringLiteral("sh"));
        }
        if (!f.references.isEmpty()) {
            // Plain text, not links: the report makes no request and sends the reader nowhere unasked.
            out += QStringLiteral("<p><b>References</b></p>\n<ul>\n");
            for (const QString &ref : f.references) {
                out += QStringLiteral("<li><code>%1</code></li>\n").arg(esc(ref));
            }
            out += QStringLiteral("</ul>\n");
        }
    }
    if (!d.notes.isEmpty()) {
        out += QStringLiteral("<p><b>Not read by the diagnosis</b></p>\n<ul>\n");
        for (const QString &n : d.notes) {
            out += QStringLiteral("<li>%1</li>\n").arg(esc(n));
        }
        out += QStringLiteral("</ul>\n");
    }
}

void HtmlWriter::write()
{
    out += QStringLiteral("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
                          "<meta charset=\"utf-8\"/>\n"
                          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
                          "<meta name=\"generator\" content=\"Nestscope %1\"/>\n<title>%2</title>\n")
               .arg(QStringLiteral(NESTSCOPE_VERSION), esc(r.title));
    if (browser()) {
        out += QStringLiteral("<style>\n") + css() + QStringLiteral("</style>\n");
        // Folded outputs open for printing, so paper shows everything the screen can.
        out += QStringLiteral("<script>addEventListener(\"beforeprint\",function(){document.querySelectorAll("
                              "\"details\").forEach(function(d){d.setAttribute(\"open\",\"\")})})</script>\n");
    } else {
        out += QStringLiteral("<style>pre{font-family:'DejaVu Sans Mono',monospace;font-size:8pt;}"
                              "th{background-color:#eeeeee;} .caption{color:#555555;}</style>\n");
    }
    out += QStringLiteral("</head>\n<body>\n");
    out += QStringLiteral("<h1>%1</h1>\n<p class=\"summary\">%2</p>\n").arg(esc(r.title), inl(r.summary));
    out += QStringLiteral("<p class=\"meta\">Run: %1.").arg(runLine(r.run));
    if (r.verification) {
        out += QStringLiteral("<br/>Later run: %1.").arg(runLine(r.verification->later));
    }
    out += QStringLiteral("</p>\n");

    // Environment.
    out += QStringLiteral("<h2 id=\"environment\">Environment</h2>\n");
    const Report::Environment &env = r.environment;
    if (!env.known) {
        out += QStringLiteral("<p>Not known: %1.</p>\n").arg(esc(env.unknownWhy));
    } else {
        table({ QString(), QString() },
            {
                { QStringLiteral("Runner"), env.runner },
                { QStringLiteral("Reached through"), env.transport },
                { QStringLiteral("Kernel"), env.kernel },
                { QStringLiteral("LXD / Incus"),
                    env.lxd.isEmpty() ? QStringLiteral("not found")
                                      : env.lxd
                            + (env.lxdFirewallDriver.isEmpty()
                                    ? QString()
                                    : QStringLiteral(" (firewall driver %1)").arg(env.lxdFirewallDriver)) },
                { QStringLiteral("Host firewall"), env.firewall },
                { QStringLiteral("Forwarding"), env.ipForward },
                { QStringLiteral("Default routes"), env.defaultRoutes },
                { QStringLiteral("Policy routing"), env.policyRules },
                { QStringLiteral("Proxy"), env.proxies },
            });
        if (!env.bridges.isEmpty()) {
            QList<QStringList> rows;
            for (const Report::Bridge &b : env.bridges) {
                rows << QStringList { b.name, b.type, b.ipv4.isEmpty() ? QStringLiteral("unset") : b.ipv4,
                    b.ipv4Nat ? QStringLiteral("on") : QStringLiteral("off"),
                    b.ipv6.isEmpty() ? QStringLiteral("unset") : b.ipv6,
                    b.ipv6Nat ? QStringLiteral("on") : QStringLiteral("off"),
                    b.mtu > 0 ? QString::number(b.mtu) : QStringLiteral("–"), b.usedBy.join(QStringLiteral(", ")) };
            }
            table({ QStringLiteral("bridge"), QStringLiteral("type"), QStringLiteral("IPv4"),
                      QStringLiteral("IPv4 NAT"), QStringLiteral("IPv6"), QStringLiteral("IPv6 NAT"),
                      QStringLiteral("MTU"), QStringLiteral("used by") },
                rows);
        }
        if (!env.instances.isEmpty()) {
            QList<QStringList> rows;
            for (const Report::Instance &i : env.instances) {
                rows << QStringList { i.name, i.type, i.status,
                    i.addresses.isEmpty() ? QStringLiteral("none") : i.addresses.join(QStringLiteral(", ")) };
            }
            table({ QStringLiteral("instance"), QStringLiteral("type"), QStringLiteral("status"),
                      QStringLiteral("global addresses") },
                rows);
        }
    }
    if (!env.problems.isEmpty()) {
        out += QStringLiteral("<p>What the topology alone shows:</p>\n<ul>\n");
        for (const Report::Environment::Problem &entry : env.problems) {
            const TopoProblem &p = entry.problem;
            const bool isError = p.severity == TopoProblem::Severity::Error;
            out += QStringLiteral("<li><font color=\"%1\">%2</font> <b>%3</b> (<code>%4</code>): %5%6</li>\n")
                       .arg(QLatin1String(isError ? kFail : kMixed),
                           isError ? QStringLiteral("✘") : QStringLiteral("⚠"), inl(p.title), esc(p.nodeId), inl(p.why),
                           entry.alsoOn.isEmpty() ? QString()
                                                  : QStringLiteral(" The same on %1 more: %2.")
                                                        .arg(entry.alsoOn.size())
                                                        .arg(esc(entry.alsoOn.join(QStringLiteral(", ")))));
        }
        out += QStringLiteral("</ul>\n");
    }
    if (r.hasFigure()) {
        figure(QStringLiteral("topology"), topologyFigureSvg(r),
            r.edges.isEmpty() || r.edges.constFirst().look == EdgeVerdict::Look::Plain
                ? QStringLiteral("The runner's topology when the run started.")
                : QStringLiteral("The runner's topology when the run started, its links coloured by the run's HTTP "
                                 "and TCP probes: green passed, red failed, amber one family only, grey not probed."));
    }

    // Symptoms.
    out += QStringLiteral("<h2 id=\"symptoms\">Symptoms</h2>\n");
    const Matrix &m = r.symptoms;
    if (m.rowCount() == 0) {
        out += QStringLiteral("<p>The run has no samples.</p>\n");
    } else {
        out += QStringLiteral("<table border=\"1\" cellspacing=\"0\" cellpadding=\"3\"><thead><tr><th>probe</th>");
        for (const QString &t : m.targets()) {
            out += QStringLiteral("<th>%1</th>").arg(esc(t));
        }
        out += QStringLiteral("</tr></thead><tbody>\n");
        for (int row = 0; row < m.rowCount(); ++row) {
            out += QStringLiteral("<tr><th><code>%1</code></th>").arg(esc(m.probeIds().at(row)));
            for (int c = 0; c < m.columnCount(); ++c) {
                out += status(m.cell(row, c));
            }
            out += QStringLiteral("</tr>\n");
        }
        out += QStringLiteral("</tbody></table>\n");
        for (auto it = r.mergedColumns.cbegin(); it != r.mergedColumns.cend(); ++it) {
            folded(it.key() + QStringLiteral(": the same verdicts on every probe"),
                QStringLiteral("<p>%1</p>").arg(esc(it.value().join(QStringLiteral(", ")))));
        }
        figure(QStringLiteral("success"), successChartSvg(r),
            QStringLiteral("Success per probe and target: the share of the samples that ran and passed."));
        figure(QStringLiteral("latency"), latencyChartSvg(r),
            QStringLiteral("Latency of the samples that passed (log scale): the bar is the median, the line "
                           "runs from the fastest to p95. A failure's time is not a latency and is not drawn."));
    }
    if (!r.differences.isEmpty()) {
        out += QStringLiteral("<h3>Where the runner and the instances differ</h3>\n<ul>\n");
        for (const Report::Difference &d : r.differences) {
            out += d.runnerPassed ? QStringLiteral("<li><code>%1</code> passes on the runner, fails on %2</li>\n")
                                        .arg(esc(d.probeId), esc(targetList(d.instancesFailing)))
                                  : QStringLiteral("<li><code>%1</code> fails on the runner, passes on %2</li>\n")
                                        .arg(esc(d.probeId), esc(targetList(d.instancesPassing)));
        }
        out += QStringLiteral("</ul>\n");
    }
    if (!r.failures.isEmpty()) {
        out += QStringLiteral("<h3>What did not go as expected</h3>\n<p>The first sample of each cell that broke its "
                              "expectation, with its command and output.</p>\n");
        for (const Report::Failure &f : r.failures) {
            out += QStringLiteral("<p><b>%1</b> on <b>%2</b> (repetition %3): %4 after %5, exit code %6 — %7%8</p>\n")
                       .arg(esc(f.probeId), esc(targetList(f.targets)))
                       .arg(f.sample.repetition + 1)
                       .arg(esc(toText(f.sample.status)), ms(f.sample.latencyMs))
                       .arg(f.sample.exitCode)
                       .arg(esc(f.why),
                           f.targets.size() > 1
                               ? QStringLiteral(" (the output below is %1's)").arg(esc(f.targets.constFirst()))
                               : QString());
            QString body = QStringLiteral("$ %1\n").arg(f.sample.command);
            for (const auto &[part, truncated, name] :
                { std::tuple { f.sample.stdOut, f.sample.stdOutTruncated, "stdout" },
                    std::tuple { f.sample.stdErr, f.sample.stdErrTruncated, "stderr" } }) {
                QString text = QString::fromUtf8(part);
                if (!text.isEmpty() && !text.endsWith(QLatin1Char('\n'))) {
                    text += QLatin1Char('\n');
                }
                if (truncated) {
                    text += QStringLiteral("[%1 continued: the run kept its first %2 bytes]\n")
                                .arg(QLatin1String(name))
                                .arg(part.size());
                }
                body += text;
            }
            rawBlock(body);
        }
    }

    // Findings and the fix.
    out += QStringLiteral("<h2 id=\"findings\">Findings</h2>\n");
    if (!r.diagnosis) {
        out += QStringLiteral("<p>No diagnosis: %1.</p>\n").arg(esc(r.noDiagnosisWhy));
    } else if (r.diagnosis->findings.isEmpty()) {
        out += (r.diagnosis->isHealthy() ? QStringLiteral("<p>No finding: %1</p>\n")
                                         : QStringLiteral("<p>No findings yet. %1</p>\n"))
                   .arg(esc(r.diagnosis->summary));
    } else {
        findings();
    }
    if (r.diagnosis && !r.diagnosis->findings.isEmpty() && !r.diagnosis->findings.constFirst().fix.isEmpty()) {
        const Finding &top = r.diagnosis->findings.constFirst();
        out += QStringLiteral("<h2 id=\"fix\">The fix</h2>\n<p>For the most likely cause (%1), on the runner:</p>\n")
                   .arg(esc(top.title));
        QString script;
        QString revert;
        for (const FixStep &step : top.fix) {
            script += (step.note.isEmpty() ? QString() : QStringLiteral("# %1\n").arg(step.note)) + step.command
                + QLatin1Char('\n');
        }
        for (auto it = top.fix.crbegin(); it != top.fix.crend(); ++it) {
            if (!it->revert.isEmpty()) {
                revert += it->revert + QLatin1Char('\n');
            }
        }
        pre(script, QStringLiteral("sh"));
        if (!revert.isEmpty()) {
            out += QStringLiteral("<p>To undo it:</p>\n");
            pre(revert, QStringLiteral("sh"));
        }
    }

    // Verification.
    out += QStringLiteral("<h2 id=\"verification\">Verification</h2>\n");
    if (!r.verification) {
        out += QStringLiteral("<p>No later run was given. Run the plan again after the fix and compare the two runs "
                              "(<code>nestscope report RUN.json --compare LATER.json</code>).</p>\n");
    } else {
        const Report::Verification &v = *r.verification;
        out += QStringLiteral("<p><b>%1</b> %2.</p>\n")
                   .arg(v.outcome == Report::Verification::Outcome::Verified    ? QStringLiteral("Verified.")
                           : v.outcome == Report::Verification::Outcome::Partly ? QStringLiteral("Partly verified.")
                                                                                : QStringLiteral("Not verified."),
                       esc(v.comparison.summary()));
        for (const QString &caveat : v.caveats) {
            out += QStringLiteral("<p><b>Note:</b> %1</p>\n").arg(esc(caveat));
        }
        out += QStringLiteral("<p>%1 fixed · %2 broke · %3 still failing · %4 slower · %5 faster</p>\n")
                   .arg(v.fixed)
                   .arg(v.broke)
                   .arg(v.stillFailing.size())
                   .arg(v.comparison.count(CellChange::Slower))
                   .arg(v.comparison.count(CellChange::Faster));
        QList<QStringList> rows;
        const auto words = [](const MatrixCell &cell) {
            return cell.isEmpty()
                ? QStringLiteral("not run")
                : QStringLiteral("%1/%2 pass, median %3").arg(cell.passed).arg(cell.total).arg(ms(cell.medianMs));
        };
        for (const QList<CellComparison> *list : { &v.changed, &v.stillFailing }) {
            for (const CellComparison &c : *list) {
                QString change = list == &v.stillFailing ? QStringLiteral("still failing") : toText(c.change);
                if (c.change == CellChange::Slower || c.change == CellChange::Faster) {
                    change += QStringLiteral(" (%1%2)").arg(
                        c.deltaMs() > 0 ? QStringLiteral("+") : QString(), ms(c.deltaMs()));
                }
                rows << QStringList { c.probeId, c.target, words(c.before), words(c.after), change };
            }
        }
        if (!rows.isEmpty()) {
            table({ QStringLiteral("probe"), QStringLiteral("target"), QStringLiteral("before"),
                      QStringLiteral("after"), QStringLiteral("change") },
                rows);
        }
        if (v.laterDiagnosis) {
            out += QStringLiteral("<p>Diagnosis of the later run: %1</p>\n").arg(esc(v.laterDiagnosis->summary));
        }
    }
    for (const Experiment &e : r.experiments) {
        QStringList commands;
        for (const ExperimentStep &s : e.steps) {
            commands << s.command;
        }
        out += QStringLiteral("<h3>Experiment %1: %2</h3>\n").arg(e.id).arg(esc(e.title));
        out += QStringLiteral("<p>Tried on %1 (%2), %3: <b>%4</b>%5.</p>\n")
                   .arg(esc(e.runner), esc(e.findingId), e.createdAt.toUTC().toString(Qt::ISODate), toText(e.state),
                       e.outcome.isEmpty() ? QString() : QStringLiteral(": ") + esc(e.outcome));
        pre(commands.join(QLatin1Char('\n')), QStringLiteral("sh"));
        if (e.pending() && !e.revertCommands().isEmpty()) {
            out += QStringLiteral("<p>Still applied; to undo it:</p>\n");
            pre(e.revertCommands().join(QLatin1Char('\n')), QStringLiteral("sh"));
        }
        if (!e.error.isEmpty()) {
            pre(e.error);
        }
    }

    // Appendix.
    out += QStringLiteral("<h2 id=\"appendix\">Appendix: every command that ran</h2>\n");
    for (const Report::CommandGroup &group : r.commands) {
        QString text;
        for (const Report::Command &c : group.commands) {
            text
                += QStringLiteral("# %1%2\n%3\n")
                       .arg(c.probeId, c.times > 1 ? QStringLiteral(" (%1 times)").arg(c.times) : QString(), c.command);
        }
        folded(
            QStringLiteral("%1: %2 commands").arg(targetList(group.targets)).arg(group.commands.size()), preText(text));
        if (group.targets.size() > 6) {
            out += QStringLiteral("<p>The same commands ran on: %1.</p>\n")
                       .arg(esc(group.targets.join(QStringLiteral(", "))));
        }
    }
    out += QStringLiteral("<p class=\"meta\">Written by Nestscope %1.</p>\n</body>\n</html>\n")
               .arg(QStringLiteral(NESTSCOPE_VERSION));
}

} // namespace

QByteArray topologyFigureSvg(const Report &r)
{
    if (!r.hasFigure()) {
        return {};
    }
    const double margin = 12;
    const QRectF b = r.layout.bounds.adjusted(-margin, -margin, margin, margin);
    const auto x = [&b](double v) {
        return num(v - b.left());
    };
    const auto y = [&b](double v) {
        return num(v - b.top());
    };
    QString s = svgOpen(b.width(), b.height(), QStringLiteral("Topology of %1").arg(r.environment.runner));
    for (auto it = r.layout.groups.cbegin(); it != r.layout.groups.cend(); ++it) {
        const QRectF &g = it.value();
        s += QStringLiteral("<rect class=\"g\" x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" rx=\"6\" fill=\"none\" "
                            "stroke=\"#d1d9e0\" stroke-dasharray=\"4 3\"/>")
                 .arg(x(g.left()), y(g.top()), num(g.width()), num(g.height()));
    }
    for (qsizetype i = 0; i < r.graph.edges.size() && i < r.layout.edges.size(); ++i) {
        const QList<QPointF> &pts = r.layout.edges.at(i);
        if (pts.size() < 2) {
            continue;
        }
        const TopoEdge &e = r.graph.edges.at(i);
        const EdgeVerdict v = i < r.edges.size() ? r.edges.at(i) : EdgeVerdict {};
        QString d = QStringLiteral("M%1 %2").arg(x(pts.at(0).x()), y(pts.at(0).y()));
        if ((pts.size() - 1) % 3 == 0) {
            for (qsizetype p = 1; p + 2 < pts.size(); p += 3) {
                d += QStringLiteral(" C%1 %2 %3 %4 %5 %6")
                         .arg(x(pts.at(p).x()), y(pts.at(p).y()), x(pts.at(p + 1).x()), y(pts.at(p + 1).y()),
                             x(pts.at(p + 2).x()), y(pts.at(p + 2).y()));
            }
        } else {
            for (qsizetype p = 1; p < pts.size(); ++p) {
                d += QStringLiteral(" L%1 %2").arg(x(pts.at(p).x()), y(pts.at(p).y()));
            }
        }
        const double width = (e.kind == TopoEdge::Kind::Attachment ? 1.4 : 2.2)
            + (v.look == EdgeVerdict::Look::Plain || v.look == EdgeVerdict::Look::Unknown ? 0 : 0.6);
        QString tip = e.label.isEmpty() ? QStringLiteral("%1 — %2").arg(e.from, e.to)
                                        : QStringLiteral("%1 — %2: %3").arg(e.from, e.to, e.label);
        const auto verdictWord = [](const std::optional<bool> &b) {
            return !b ? QStringLiteral("not probed") : *b ? QStringLiteral("passed") : QStringLiteral("failed");
        };
        if (v.look != EdgeVerdict::Look::Plain) {
            tip += QStringLiteral(" (HTTP/TCP of %1: IPv4 %2, IPv6 %3)")
                       .arg(v.targets.isEmpty() ? QStringLiteral("nobody") : v.targets.join(QStringLiteral(", ")),
                           verdictWord(v.ipv4), verdictWord(v.ipv6));
        }
        s += QStringLiteral("<path d=\"%1\" fill=\"none\" stroke=\"%2\" stroke-width=\"%3\"%4><title>%5</title></path>")
                 .arg(d, edgeColour(v.look), num(width),
                     e.kind == TopoEdge::Kind::Nat ? QStringLiteral(" stroke-dasharray=\"6 4\"") : QString(), esc(tip));
        if (!e.label.isEmpty() && i < r.layout.edgeLabels.size() && !r.layout.edgeLabels.at(i).isNull()) {
            const QPointF c = r.layout.edgeLabels.at(i);
            s += QStringLiteral(
                "<text x=\"%1\" y=\"%2\" font-size=\"8.5\" text-anchor=\"middle\" fill=\"%3\">%4</text>")
                     .arg(x(c.x()), y(c.y() + 3), edgeColour(v.look), esc(e.label));
        }
    }
    // Problems about a node the graph lacks are drawn on the runner, as the Topology page does.
    QHash<QString, QList<TopoProblem>> problemsOn;
    for (const TopoProblem &p : r.graph.problems) {
        problemsOn[r.graph.node(p.nodeId) ? p.nodeId : QStringLiteral("runner")] << p;
    }
    for (const TopoNode &n : r.graph.nodes) {
        const auto it = r.layout.nodes.constFind(n.id);
        if (it == r.layout.nodes.cend()) {
            continue;
        }
        const QRectF &box = it.value();
        s += QStringLiteral("<g><title>%1</title>").arg(esc(n.id));
        s += QStringLiteral("<rect class=\"n\" x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" rx=\"5\" fill=\"#ffffff\" "
                            "stroke=\"%5\" stroke-width=\"1.2\"/>")
                 .arg(x(box.left()), y(box.top()), num(box.width()), num(box.height()), kindColour(n.kind));
        s += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"4\" height=\"%3\" fill=\"%4\"/>")
                 .arg(x(box.left()), y(box.top()), num(box.height()), kindColour(n.kind));
        double line = box.top() + 8 + 11;
        s += QStringLiteral("<text class=\"t\" x=\"%1\" y=\"%2\" font-size=\"10\" font-weight=\"bold\" "
                            "fill=\"#1f2328\">%3</text>")
                 .arg(x(box.left() + 9), y(line), esc(n.label));
        for (const QString &detail : n.details) {
            line += 13;
            s += QStringLiteral("<text class=\"d\" x=\"%1\" y=\"%2\" font-size=\"9\" fill=\"#59636e\">%3</text>")
                     .arg(x(box.left() + 9), y(line), esc(detail));
        }
        if (const auto problems = problemsOn.value(n.id); !problems.isEmpty()) {
            // A badge as on the Topology page: red for an error, amber for a warning, titles on hover.
            const bool isError = std::any_of(problems.cbegin(), problems.cend(), [](const TopoProblem &p) {
                return p.severity == TopoProblem::Severity::Error;
            });
            QStringList titles;
            for (const TopoProblem &p : problems) {
                titles << p.title;
            }
            s += QStringLiteral("<g><title>%1</title><circle cx=\"%2\" cy=\"%3\" r=\"7\" fill=\"%4\"/>"
                                "<text x=\"%2\" y=\"%5\" font-size=\"10\" font-weight=\"bold\" "
                                "text-anchor=\"middle\" fill=\"#ffffff\">!</text></g>")
                     .arg(esc(titles.join(QStringLiteral("; "))), x(box.right() - 2), y(box.top() + 2),
                         QLatin1String(isError ? kFail : kMixed), y(box.top() + 5.5));
        }
        s += QStringLiteral("</g>");
    }
    s += QStringLiteral("</svg>");
    return s.toUtf8();
}

QByteArray successChartSvg(const Report &r)
{
    if (r.chart.isEmpty()) {
        return {};
    }
    const double barWidth = kChartWidth - kLabelWidth - 70;
    const double height = kChartTop + r.chart.size() * kRowHeight + 8;
    QString s = svgOpen(kChartWidth, height, QStringLiteral("Success per probe and target"));
    s += QStringLiteral("<text class=\"t\" x=\"0\" y=\"13\" font-size=\"11\" font-weight=\"bold\" fill=\"#1f2328\">"
                        "Success</text>");
    for (const double tick : { 0.0, 0.5, 1.0 }) {
        const double tx = kLabelWidth + tick * barWidth;
        s += QStringLiteral("<line class=\"axis\" x1=\"%1\" y1=\"%2\" x2=\"%1\" y2=\"%3\" stroke=\"#d1d9e0\"/>"
                            "<text class=\"d\" x=\"%1\" y=\"%4\" font-size=\"8\" text-anchor=\"middle\" "
                            "fill=\"#59636e\">%5%</text>")
                 .arg(num(tx), num(kChartTop - 4), num(height - 4), num(kChartTop - 6))
                 .arg(qRound(tick * 100));
    }
    double rowY = kChartTop;
    for (const Report::ChartRow &row : r.chart) {
        s += QStringLiteral("<text class=\"t\" x=\"%1\" y=\"%2\" font-size=\"9\" text-anchor=\"end\" fill=\"#1f2328\">"
                            "%3</text>")
                 .arg(num(kLabelWidth - 6), num(rowY + 10.5), esc(rowLabel(row)));
        const double rate = std::max(0.0, row.successRate);
        s += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\"/>")
                 .arg(num(kLabelWidth), num(rowY + 2), num(std::max(1.5, rate * barWidth)), num(kRowHeight - 4),
                     successColour(rate));
        s += QStringLiteral("<text class=\"d\" x=\"%1\" y=\"%2\" font-size=\"9\" fill=\"#59636e\">%3%</text>")
                 .arg(num(kLabelWidth + barWidth + 6), num(rowY + 10.5))
                 .arg(qRound(rate * 100));
        rowY += kRowHeight;
    }
    s += QStringLiteral("</svg>");
    return s.toUtf8();
}

QByteArray latencyChartSvg(const Report &r)
{
    if (r.chart.isEmpty()) {
        return {};
    }
    double maxMs = 1;
    for (const Report::ChartRow &row : r.chart) {
        maxMs = std::max(maxMs, row.latency.p95);
    }
    // A log scale from 0.1 ms: the interesting latencies span four orders of magnitude.
    const double lo = std::log10(0.1);
    const double hi = std::ceil(std::log10(maxMs));
    const double barWidth = kChartWidth - kLabelWidth - 20;
    const auto px = [&](double value) {
        const double v = std::clamp(std::log10(std::max(value, 0.1)), lo, hi);
        return kLabelWidth + (v - lo) / (hi - lo) * barWidth;
    };
    const double height = kChartTop + r.chart.size() * kRowHeight + 8;
    QString s = svgOpen(kChartWidth, height, QStringLiteral("Latency of the passing samples per probe and target"));
    s += QStringLiteral("<text class=\"t\" x=\"0\" y=\"13\" font-size=\"11\" font-weight=\"bold\" fill=\"#1f2328\">"
                        "Latency (passing samples)</text>");
    for (double e = lo; e <= hi + 1e-9; e += 1) {
        const double value = std::pow(10.0, e);
        const double tx = px(value);
        const QString label = value < 1 ? QStringLiteral("0.1 ms")
            : value >= 1000             ? QStringLiteral("%1 s").arg(value / 1000)
                                        : QStringLiteral("%1 ms").arg(value);
        s += QStringLiteral("<line class=\"axis\" x1=\"%1\" y1=\"%2\" x2=\"%1\" y2=\"%3\" stroke=\"#d1d9e0\"/>"
                            "<text class=\"d\" x=\"%1\" y=\"%4\" font-size=\"8\" text-anchor=\"middle\" "
                            "fill=\"#59636e\">%5</text>")
                 .arg(num(tx), num(kChartTop - 4), num(height - 4), num(kChartTop - 6), label);
    }
    double rowY = kChartTop;
    for (const Report::ChartRow &row : r.chart) {
        s += QStringLiteral("<text class=\"t\" x=\"%1\" y=\"%2\" font-size=\"9\" text-anchor=\"end\" fill=\"#1f2328\">"
                            "%3</text>")
                 .arg(num(kLabelWidth - 6), num(rowY + 10.5), esc(rowLabel(row)));
        if (row.latency.count == 0) {
            s += QStringLiteral("<text x=\"%1\" y=\"%2\" font-size=\"9\" fill=\"%3\">no sample passed</text>")
                     .arg(num(kLabelWidth + 4), num(rowY + 10.5), QLatin1String(kFail));
        } else {
            s += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"#3b82f6\"><title>%5: median "
                                "%6, p95 %7 over %8 passing samples</title></rect>")
                     .arg(num(kLabelWidth), num(rowY + 3), num(std::max(1.5, px(row.latency.median) - kLabelWidth)),
                         num(kRowHeight - 6), esc(rowLabel(row)), ms(row.latency.median), ms(row.latency.p95))
                     .arg(row.latency.count);
            s += QStringLiteral(
                "<line x1=\"%1\" y1=\"%3\" x2=\"%2\" y2=\"%3\" stroke=\"#1e40af\" stroke-width=\"1.2\"/>")
                     .arg(num(px(row.latency.min)), num(px(row.latency.p95)), num(rowY + kRowHeight / 2));
        }
        rowY += kRowHeight;
    }
    s += QStringLiteral("</svg>");
    return s.toUtf8();
}

QByteArray reportToHtml(const Report &report, HtmlFlavour flavour)
{
    HtmlWriter writer { report, flavour, {} };
    writer.out.reserve(64 * 1024);
    writer.write();
    return writer.out.toUtf8();
}

} // namespace nestscope
