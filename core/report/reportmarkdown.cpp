// The report as GitHub-flavoured Markdown. The same sections, in the same order, as the HTML.
#include "report.h"
#include "reports.h"

namespace nestscope {

namespace {

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

QString mark(const MatrixCell &cell)
{
    if (cell.isEmpty()) {
        return cell.skipped > 0 ? QStringLiteral("skipped") : QStringLiteral("–");
    }
    const QString symbol = cell.passed == cell.total ? QStringLiteral("✅")
        : cell.passed == 0                           ? QStringLiteral("❌")
                                                     : QStringLiteral("⚠️");
    return QStringLiteral("%1 %2/%3 · %4").arg(symbol).arg(cell.passed).arg(cell.total).arg(ms(cell.medianMs));
}

QString cellWords(const MatrixCell &cell)
{
    if (cell.isEmpty()) {
        return QStringLiteral("not run");
    }
    return QStringLiteral("%1/%2 pass, median %3").arg(cell.passed).arg(cell.total).arg(ms(cell.medianMs));
}

QString runLine(const Report::RunInfo &run)
{
    return QStringLiteral("`%1` on **%2**, %3 to %4%5: %6 samples, %7 broke an expectation")
        .arg(run.planName, run.host, when(run.startedAt), when(run.finishedAt),
            run.cancelled ? QStringLiteral(" (cancelled)") : QString())
        .arg(run.samples)
        .arg(run.broken);
}

QString outputText(const Sample &s)
{
    QString body = QStringLiteral("$ %1\n").arg(s.command);
    for (const auto &[part, truncated, name] : { std::tuple { s.stdOut, s.stdOutTruncated, "stdout" },
             std::tuple { s.stdErr, s.stdErrTruncated, "stderr" } }) {
        QString text = QString::fromUtf8(part);
        if (!text.isEmpty() && !text.endsWith(QLatin1Char('\n'))) {
            text += QLatin1Char('\n');
        }
        if (truncated) {
            // The run kept only the start of this output; say so after it, never inside a line.
            text += QStringLiteral("[%1 continued: the run kept its first %2 bytes]\n")
                        .arg(QLatin1String(name))
                        .arg(part.size());
        }
        body += text;
    }
    return body;
}

} // namespace

QByteArray reportToMarkdown(const Report &r)
{
    using md::cellText;
    using md::fenced;
    using md::rawBlock;
    QString out;
    out += QStringLiteral("# %1\n\n").arg(r.title);
    out += r.summary + QStringLiteral("\n\n");
    out += QStringLiteral("- Run: %1.\n").arg(runLine(r.run));
    if (r.verification) {
        out += QStringLiteral("- Later run: %1.\n").arg(runLine(r.verification->later));
    }
    out += QLatin1Char('\n');

    // Environment.
    out += QStringLiteral("## Environment\n\n");
    const Report::Environment &env = r.environment;
    if (!env.known) {
        out += QStringLiteral("Not known: %1.\n\n").arg(env.unknownWhy);
    } else {
        out += QStringLiteral("| | |\n|---|---|\n");
        const QList<std::pair<QString, QString>> rows {
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
        };
        for (const auto &[key, value] : rows) {
            out += QStringLiteral("| %1 | %2 |\n").arg(key, cellText(value.isEmpty() ? QStringLiteral("–") : value));
        }
        out += QLatin1Char('\n');
        if (!env.bridges.isEmpty()) {
            out += QStringLiteral("| bridge | type | IPv4 | IPv4 NAT | IPv6 | IPv6 NAT | MTU | used by |\n"
                                  "|---|---|---|---|---|---|---|---|\n");
            for (const Report::Bridge &b : env.bridges) {
                out += QStringLiteral("| %1 | %2 | %3 | %4 | %5 | %6 | %7 | %8 |\n")
                           .arg(cellText(b.name), cellText(b.type),
                               cellText(b.ipv4.isEmpty() ? QStringLiteral("unset") : b.ipv4),
                               b.ipv4Nat ? QStringLiteral("on") : QStringLiteral("off"),
                               cellText(b.ipv6.isEmpty() ? QStringLiteral("unset") : b.ipv6),
                               b.ipv6Nat ? QStringLiteral("on") : QStringLiteral("off"),
                               b.mtu > 0 ? QString::number(b.mtu) : QStringLiteral("–"),
                               cellText(b.usedBy.join(QStringLiteral(", "))));
            }
            out += QLatin1Char('\n');
        }
        if (!env.instances.isEmpty()) {
            out += QStringLiteral("| instance | type | status | global addresses |\n|---|---|---|---|\n");
            for (const Report::Instance &i : env.instances) {
                out += QStringLiteral("| %1 | %2 | %3 | %4 |\n")
                           .arg(cellText(i.name), cellText(i.type), cellText(i.status),
                               cellText(i.addresses.isEmpty() ? QStringLiteral("none")
                                                              : i.addresses.join(QStringLiteral(", "))));
            }
            out += QLatin1Char('\n');
        }
        if (!env.problems.isEmpty()) {
            out += QStringLiteral("What the topology alone shows:\n\n");
            for (const Report::Environment::Problem &entry : env.problems) {
                const TopoProblem &p = entry.problem;
                out += QStringLiteral("- %1 **%2** (`%3`): %4%5\n")
                           .arg(p.severity == TopoProblem::Severity::Error ? QStringLiteral("❌")
                                                                           : QStringLiteral("⚠️"),
                               p.title, p.nodeId, p.why,
                               entry.alsoOn.isEmpty() ? QString()
                                                      : QStringLiteral(" The same on %1 more: %2.")
                                                            .arg(entry.alsoOn.size())
                                                            .arg(entry.alsoOn.join(QStringLiteral(", "))));
            }
            out += QLatin1Char('\n');
        }
    }

    // Symptoms.
    out += QStringLiteral("## Symptoms\n\n");
    const Matrix &m = r.symptoms;
    if (m.rowCount() == 0) {
        out += QStringLiteral("The run has no samples.\n\n");
    } else {
        out += QStringLiteral("| probe |");
        for (const QString &t : m.targets()) {
            out += QLatin1Char(' ') + cellText(t) + QStringLiteral(" |");
        }
        out += QStringLiteral("\n|---|");
        for (int c = 0; c < m.columnCount(); ++c) {
            out += QStringLiteral("---|");
        }
        out += QLatin1Char('\n');
        for (int row = 0; row < m.rowCount(); ++row) {
            out += QStringLiteral("| %1 |").arg(cellText(m.probeIds().at(row)));
            for (int c = 0; c < m.columnCount(); ++c) {
                out += QLatin1Char(' ') + mark(m.cell(row, c)) + QStringLiteral(" |");
            }
            out += QLatin1Char('\n');
        }
        out += QLatin1Char('\n');
    }
    for (auto it = r.mergedColumns.cbegin(); it != r.mergedColumns.cend(); ++it) {
        out += QStringLiteral(
            "<details><summary>%1: the same verdicts on every probe</summary>\n\n%2\n\n</details>\n\n")
                   .arg(it.key(), it.value().join(QStringLiteral(", ")));
    }
    if (!r.differences.isEmpty()) {
        out += QStringLiteral("### Where the runner and the instances differ\n\n");
        for (const Report::Difference &d : r.differences) {
            out += d.runnerPassed ? QStringLiteral("- `%1` passes on the runner, fails on %2\n")
                                        .arg(d.probeId, targetList(d.instancesFailing))
                                  : QStringLiteral("- `%1` fails on the runner, passes on %2\n")
                                        .arg(d.probeId, targetList(d.instancesPassing));
        }
        out += QLatin1Char('\n');
    }
    if (!r.failures.isEmpty()) {
        out += QStringLiteral("### What did not go as expected\n\n");
        out += QStringLiteral(
            "The first sample of each cell that broke its expectation, with its command and output.\n\n");
        for (const Report::Failure &f : r.failures) {
            out += QStringLiteral("**%1** on **%2** (repetition %3): %4 after %5, exit code %6 — %7%8\n\n")
                       .arg(f.probeId, targetList(f.targets))
                       .arg(f.sample.repetition + 1)
                       .arg(toText(f.sample.status), ms(f.sample.latencyMs))
                       .arg(f.sample.exitCode)
                       .arg(f.why,
                           f.targets.size() > 1
                               ? QStringLiteral(" (the output below is %1's)").arg(f.targets.constFirst())
                               : QString());
            out += rawBlock(outputText(f.sample)) + QLatin1Char('\n');
        }
    }

    // Findings and the fix.
    out += QStringLiteral("## Findings\n\n");
    if (!r.diagnosis) {
        out += QStringLiteral("No diagnosis: %1.\n\n").arg(r.noDiagnosisWhy);
    } else if (r.diagnosis->findings.isEmpty()) {
        out += (r.diagnosis->isHealthy() ? QStringLiteral("No finding: %1\n\n")
                                         : QStringLiteral("No findings yet. %1\n\n"))
                   .arg(r.diagnosis->summary);
    } else {
        out += findingsToMarkdown(*r.diagnosis, 3);
    }
    if (r.diagnosis && !r.diagnosis->findings.isEmpty() && !r.diagnosis->findings.constFirst().fix.isEmpty()) {
        const Finding &top = r.diagnosis->findings.constFirst();
        out += QStringLiteral("## The fix\n\nFor the most likely cause (%1), on the runner:\n\n").arg(top.title);
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
        out += fenced(script, QStringLiteral("sh")) + QLatin1Char('\n');
        if (!revert.isEmpty()) {
            out += QStringLiteral("To undo it:\n\n") + fenced(revert, QStringLiteral("sh")) + QLatin1Char('\n');
        }
    }

    // Verification.
    out += QStringLiteral("## Verification\n\n");
    if (!r.verification) {
        out += QStringLiteral("No later run was given. Run the plan again after the fix and compare the two runs "
                              "(`nestscope report RUN.json --compare LATER.json`).\n\n");
    } else {
        const Report::Verification &v = *r.verification;
        out += QStringLiteral("%1 %2.\n\n")
                   .arg(v.outcome == Report::Verification::Outcome::Verified    ? QStringLiteral("**Verified.**")
                           : v.outcome == Report::Verification::Outcome::Partly ? QStringLiteral("**Partly verified.**")
                                                                                : QStringLiteral("**Not verified.**"),
                       v.comparison.summary());
        for (const QString &caveat : v.caveats) {
            out += QStringLiteral("> **Note:** %1\n\n").arg(caveat);
        }
        out += QStringLiteral("%1 fixed · %2 broke · %3 still failing · %4 slower · %5 faster\n\n")
                   .arg(v.fixed)
                   .arg(v.broke)
                   .arg(v.stillFailing.size())
                   .arg(v.comparison.count(CellChange::Slower))
                   .arg(v.comparison.count(CellChange::Faster));
        if (!v.changed.isEmpty() || !v.stillFailing.isEmpty()) {
            out += QStringLiteral("| probe | target | before | after | change |\n|---|---|---|---|---|\n");
            for (const QList<CellComparison> *list : { &v.changed, &v.stillFailing }) {
                for (const CellComparison &c : *list) {
                    QString change = list == &v.stillFailing ? QStringLiteral("still failing") : toText(c.change);
                    if (c.change == CellChange::Slower || c.change == CellChange::Faster) {
                        change += QStringLiteral(" (%1%2)").arg(
                            c.deltaMs() > 0 ? QStringLiteral("+") : QString(), ms(c.deltaMs()));
                    }
                    out += QStringLiteral("| %1 | %2 | %3 | %4 | %5 |\n")
                               .arg(cellText(c.probeId), cellText(c.target), cellWords(c.before), cellWords(c.after),
                                   change);
                }
            }
            out += QLatin1Char('\n');
        }
        if (v.laterDiagnosis) {
            out += QStringLiteral("Diagnosis of the later run: %1\n\n").arg(v.laterDiagnosis->summary);
        }
    }
    for (const Experiment &e : r.experiments) {
        QStringList commands;
        for (const ExperimentStep &s : e.steps) {
            commands << s.command;
        }
        out += QStringLiteral("### Experiment %1: %2\n\n").arg(e.id).arg(cellText(e.title));
        out += QStringLiteral("Tried on %1 (%2), %3: **%4**%5.\n\n")
                   .arg(cellText(e.runner), e.findingId, e.createdAt.toUTC().toString(Qt::ISODate), toText(e.state),
                       e.outcome.isEmpty() ? QString() : QStringLiteral(": ") + e.outcome);
        out += fenced(commands.join(QLatin1Char('\n')), QStringLiteral("sh")) + QLatin1Char('\n');
        if (e.pending() && !e.revertCommands().isEmpty()) {
            out += QStringLiteral("Still applied; to undo it:\n\n")
                + fenced(e.revertCommands().join(QLatin1Char('\n')), QStringLiteral("sh")) + QLatin1Char('\n');
        }
        if (!e.error.isEmpty()) {
            out += fenced(e.error, QString()) + QLatin1Char('\n');
        }
    }

    // Appendix.
    out += QStringLiteral("## Appendix: every command that ran\n\n");
    for (const Report::CommandGroup &group : r.commands) {
        QString text;
        for (const Report::Command &c : group.commands) {
            text
                += QStringLiteral("# %1%2\n%3\n")
                       .arg(c.probeId, c.times > 1 ? QStringLiteral(" (%1 times)").arg(c.times) : QString(), c.command);
        }
        out += QStringLiteral("<details><summary>%1: %2 commands</summary>\n\n%3\n</details>\n\n")
                   .arg(targetList(group.targets))
                   .arg(group.commands.size())
                   .arg(fenced(text, QStringLiteral("sh")));
        if (group.targets.size() > 6) {
            out += QStringLiteral("The same commands ran on: %1.\n\n").arg(group.targets.join(QStringLiteral(", ")));
        }
    }
    return out.toUtf8();
}

} // namespace nestscope
