#include "reports.h"

#include "plan/probes.h"
#include "results/matrix.h"

#include <QXmlStreamWriter>

#include <algorithm>

namespace nestscope {

namespace {

QList<Sample> samplesOf(const Run &run, const QString &probe, const QString &target)
{
    QList<Sample> list;
    for (const Sample &s : run.samples) {
        if (s.probeId == probe && s.target == target) {
            list << s;
        }
    }
    return list;
}

QString ms(double value)
{
    return value < 10 ? QString::number(value, 'f', 1) + QStringLiteral(" ms")
                      : QString::number(qRound(value)) + QStringLiteral(" ms");
}

// XML 1.0 cannot carry most control characters; CI parsers reject a file that has them.
QString xmlSafe(QString text)
{
    for (QChar &c : text) {
        if (c.unicode() < 0x20 && c != QLatin1Char('\t') && c != QLatin1Char('\n') && c != QLatin1Char('\r')) {
            c = QChar(0xFFFD);
        }
    }
    return text;
}

/// The start of an output; `truncated` (the transport's cap, or a run that keeps only the start of
/// each output) means there was more than `data` holds.
QString clip(const QByteArray &data, bool truncated, int max = 2000)
{
    QString text = QString::fromUtf8(data);
    if (text.size() > max) {
        text = text.left(max)
            + (truncated ? QStringLiteral("\n[… at least %1 more characters]")
                         : QStringLiteral("\n[… %1 more characters]"))
                  .arg(text.size() - max);
    } else if (truncated) {
        text += QStringLiteral("\n[… cut]");
    }
    return text;
}

} // namespace

namespace md {

// Markdown table cells cannot hold a bare '|' or a newline.
QString cellText(QString text)
{
    return text.replace(QLatin1Char('|'), QStringLiteral("\\|")).replace(QLatin1Char('\n'), QLatin1Char(' '));
}

// A fenced block that no backtick run inside the text can close early.
QString fenced(const QString &text, const QString &language)
{
    QString fence = QStringLiteral("```");
    while (text.contains(fence)) {
        fence += QLatin1Char('`');
    }
    return fence + language + QLatin1Char('\n') + text
        + (text.endsWith(QLatin1Char('\n')) ? QString() : QStringLiteral("\n")) + fence + QLatin1Char('\n');
}

// Long raw text folds away so the verdict stays readable; nothing is cut.
QString rawBlock(const QString &text)
{
    if (text.count(QLatin1Char('\n')) < 8) {
        return fenced(text);
    }
    return QStringLiteral("<details><summary>%1 lines</summary>\n\n%2\n</details>\n")
        .arg(text.count(QLatin1Char('\n')) + 1)
        .arg(fenced(text));
}

} // namespace md

using md::cellText;
using md::fenced;
using md::rawBlock;

QString diagnosisToMarkdown(const Diagnosis &d)
{
    return QStringLiteral("## Diagnosis\n\n") + findingsToMarkdown(d, 3);
}

QString findingsToMarkdown(const Diagnosis &d, int headingLevel)
{
    const QString heading(headingLevel, QLatin1Char('#'));
    QString md;
    switch (d.verdict) {
    case Diagnosis::Verdict::Healthy:
        md += QStringLiteral("**Healthy**: %1\n\n").arg(d.summary);
        break;
    case Diagnosis::Verdict::Explained:
        md += QStringLiteral("**Likely cause**: %1\n\n").arg(d.summary);
        break;
    case Diagnosis::Verdict::Unexplained:
        md += QStringLiteral("**No known cause fits**: %1\n\n").arg(d.summary);
        break;
    case Diagnosis::Verdict::NoData:
        md += d.summary + QStringLiteral("\n\n");
        break;
    }
    int rank = 0;
    for (const Finding &f : d.findings) {
        md += QStringLiteral("%1 %2. %3\n\n%4\n\n").arg(heading).arg(++rank).arg(f.title, f.cause);
        md += QStringLiteral("**Confidence: %1** — %2\n\n").arg(toText(f.confidence), f.confidenceReason);
        QStringList affected = f.targets;
        if (!f.families.isEmpty()) {
            affected << QStringLiteral("families: ") + f.families.join(QStringLiteral(", "));
        }
        if (!affected.isEmpty()) {
            md += QStringLiteral("**Affects**: %1\n\n").arg(affected.join(QStringLiteral(" · ")));
        }
        if (!f.evidence.isEmpty()) {
            md += QStringLiteral("**Evidence**\n\n");
            for (const Evidence &e : f.evidence) {
                if (e.kind == Evidence::Kind::Sample) {
                    md += QStringLiteral("- `%1` on **%2** (repetition %3): %4%5\n")
                              .arg(e.probeId, e.target)
                              .arg(e.repetition + 1)
                              .arg(e.status, e.note.isEmpty() ? QString() : QStringLiteral(" — ") + e.note);
                    QString raw
                        = e.command.isEmpty() ? QString() : QStringLiteral("$ ") + e.command + QLatin1Char('\n');
                    raw += e.text;
                    if (!raw.trimmed().isEmpty()) {
                        md += QLatin1Char('\n') + rawBlock(raw) + QLatin1Char('\n');
                    }
                } else {
                    md += QStringLiteral("- %1%2\n\n")
                              .arg(e.source, e.note.isEmpty() ? QString() : QStringLiteral(" — ") + e.note);
                    md += rawBlock(e.text) + QLatin1Char('\n');
                }
            }
        }
        if (!f.fix.isEmpty()) {
            QString script;
            for (const FixStep &step : f.fix) {
                if (!step.note.isEmpty()) {
                    script += QStringLiteral("# %1\n").arg(step.note);
                }
                script += step.command + QLatin1Char('\n');
            }
            md += QStringLiteral("**Fix** (on the runner)\n\n") + fenced(script, QStringLiteral("sh"))
                + QLatin1Char('\n');
            QString revert;
            for (auto it = f.fix.crbegin(); it != f.fix.crend(); ++it) {
                if (!it->revert.isEmpty()) {
                    revert += it->revert + QLatin1Char('\n');
                }
            }
            if (!revert.isEmpty()) {
                md += QStringLiteral("To undo it\n\n") + fenced(revert, QStringLiteral("sh")) + QLatin1Char('\n');
            }
        }
        if (!f.checks.isEmpty()) {
            md += QStringLiteral("**To confirm**\n\n") + fenced(f.checks.join(QLatin1Char('\n')), QStringLiteral("sh"))
                + QLatin1Char('\n');
        }
        if (!f.references.isEmpty()) {
            md += QStringLiteral("**References**\n\n");
            for (const QString &r : f.references) {
                md += QStringLiteral("- %1\n").arg(r);
            }
            md += QLatin1Char('\n');
        }
    }
    if (!d.notes.isEmpty()) {
        md += QStringLiteral("**Not read by the diagnosis**\n\n");
        for (const QString &n : d.notes) {
            md += QStringLiteral("- %1\n").arg(n);
        }
        md += QLatin1Char('\n');
    }
    return md;
}

QString diagnosisSummaryText(const Diagnosis &d)
{
    QString text = QStringLiteral("Diagnosis: %1\n").arg(d.summary);
    int rank = 0;
    for (const Finding &f : d.findings) {
        ++rank;
        text += QStringLiteral("  %1. [%2] %3%4\n")
                    .arg(rank)
                    .arg(toText(f.confidence), f.title,
                        f.targets.isEmpty() ? QString()
                                            : QStringLiteral(" (%1)").arg(f.targets.join(QStringLiteral(", "))));
        if (rank == 1) {
            for (const FixStep &step : f.fix) {
                text += QStringLiteral("     fix:    %1\n").arg(step.command);
                if (!step.revert.isEmpty()) {
                    text += QStringLiteral("     revert: %1\n").arg(step.revert);
                }
            }
        }
    }
    return text;
}

QByteArray runToJUnit(const Plan &plan, const Run &run)
{
    QByteArray out;
    QXmlStreamWriter xml(&out);
    xml.setAutoFormatting(true);
    xml.writeStartDocument();
    xml.writeStartElement(QStringLiteral("testsuites"));
    xml.writeAttribute(QStringLiteral("name"), run.planName);
    for (const QString &target : run.targets) {
        int failures = 0;
        int errors = 0;
        int skipped = 0;
        double seconds = 0;
        struct Case {
            QString probe;
            QList<Sample> samples;
            QList<Sample> broken;
        };
        QList<Case> cases;
        for (const QString &probe : run.probeIds) {
            Case c { probe, samplesOf(run, probe, target), {} };
            for (const Sample &s : c.samples) {
                seconds += s.latencyMs / 1000.0;
                if (!expectationHolds(plan, s)) {
                    c.broken << s;
                }
            }
            const bool allSkipped
                = !c.samples.isEmpty() && std::all_of(c.samples.cbegin(), c.samples.cend(), [](const Sample &s) {
                      return s.status == SampleStatus::Skipped;
                  });
            if (c.samples.isEmpty() || allSkipped) {
                ++skipped;
            } else if (!c.broken.isEmpty()) {
                const bool onlyErrors = std::all_of(c.broken.cbegin(), c.broken.cend(), [](const Sample &s) {
                    return s.status == SampleStatus::Error;
                });
                ++(onlyErrors ? errors : failures);
            }
            cases << c;
        }
        xml.writeStartElement(QStringLiteral("testsuite"));
        xml.writeAttribute(QStringLiteral("name"), target);
        xml.writeAttribute(QStringLiteral("tests"), QString::number(cases.size()));
        xml.writeAttribute(QStringLiteral("failures"), QString::number(failures));
        xml.writeAttribute(QStringLiteral("errors"), QString::number(errors));
        xml.writeAttribute(QStringLiteral("skipped"), QString::number(skipped));
        xml.writeAttribute(QStringLiteral("time"), QString::number(seconds, 'f', 3));
        for (const Case &c : cases) {
            xml.writeStartElement(QStringLiteral("testcase"));
            xml.writeAttribute(QStringLiteral("classname"), run.planName + QLatin1Char('.') + target);
            xml.writeAttribute(QStringLiteral("name"), c.probe);
            double caseSeconds = 0;
            for (const Sample &s : c.samples) {
                caseSeconds += s.latencyMs / 1000.0;
            }
            xml.writeAttribute(QStringLiteral("time"), QString::number(caseSeconds, 'f', 3));
            const bool allSkipped
                = c.samples.isEmpty() || std::all_of(c.samples.cbegin(), c.samples.cend(), [](const Sample &s) {
                      return s.status == SampleStatus::Skipped;
                  });
            if (allSkipped) {
                xml.writeStartElement(QStringLiteral("skipped"));
                xml.writeAttribute(QStringLiteral("message"),
                    xmlSafe(c.samples.isEmpty() ? QStringLiteral("not run") : c.samples.constFirst().message));
                xml.writeEndElement();
            } else if (!c.broken.isEmpty()) {
                const Sample &first = c.broken.constFirst();
                const bool expectedPass = plan.expectsPass(c.probe, target);
                const bool onlyErrors = std::all_of(c.broken.cbegin(), c.broken.cend(), [](const Sample &b) {
                    return b.status == SampleStatus::Error;
                });
                xml.writeStartElement(onlyErrors ? QStringLiteral("error") : QStringLiteral("failure"));
                xml.writeAttribute(QStringLiteral("message"),
                    xmlSafe(expectedPass ? QStringLiteral("%1 of %2 samples did not pass: %3")
                                               .arg(c.broken.size())
                                               .arg(c.samples.size())
                                               .arg(first.message)
                                         : QStringLiteral("expected to fail, but %1 of %2 samples did not fail")
                                               .arg(c.broken.size())
                                               .arg(c.samples.size())));
                QString text;
                for (const Sample &s : c.broken) {
                    text += QStringLiteral("#%1 %2 (%3) exit %4: %5\n$ %6\n")
                                .arg(s.repetition + 1)
                                .arg(toText(s.status), ms(s.latencyMs))
                                .arg(s.exitCode)
                                .arg(s.message, s.command);
                }
                xml.writeCharacters(xmlSafe(text));
                xml.writeEndElement();
            }
            if (!c.samples.isEmpty()) {
                // The output of a sample that broke its expectation says more than the last one.
                const Sample &shown = c.broken.isEmpty() ? c.samples.constLast() : c.broken.constFirst();
                xml.writeTextElement(QStringLiteral("system-out"), xmlSafe(clip(shown.stdOut, shown.stdOutTruncated)));
                xml.writeTextElement(QStringLiteral("system-err"), xmlSafe(clip(shown.stdErr, shown.stdErrTruncated)));
            }
            xml.writeEndElement();
        }
        xml.writeEndElement();
    }
    xml.writeEndElement();
    xml.writeEndDocument();
    return out;
}

QByteArray runToMarkdown(const Plan &plan, const Run &run, const Diagnosis *diagnosis)
{
    const Matrix matrix = Matrix::fromRun(run);
    int broken = 0;
    for (const Sample &s : run.samples) {
        broken += expectationHolds(plan, s) ? 0 : 1;
    }
    QString md;
    md += QStringLiteral("# %1\n\n").arg(run.planName);
    md += QStringLiteral("Run on **%1** from %2 to %3 UTC%4.\n\n")
              .arg(run.host, run.startedAt.toString(Qt::ISODate), run.finishedAt.toString(Qt::ISODate),
                  run.cancelled ? QStringLiteral(" (cancelled)") : QString());
    if (run.cancelled) {
        // A cancelled run proves nothing about what did not run: never call it a success.
        qsizetype planned = 0;
        for (const Probe &p : plan.probes) {
            planned += qsizetype(p.repeat) * plan.targets.size();
        }
        md += QStringLiteral("**The run was cancelled before it finished:** %1 of %2 samples were recorded")
                  .arg(run.samples.size())
                  .arg(std::max(planned, run.samples.size()));
        md += broken == 0 ? QStringLiteral(".") : QStringLiteral(", %1 of them broke an expectation.").arg(broken);
        md += QStringLiteral(" A sample cut short by the cancel counts as skipped.\n\n");
    } else {
        md += broken == 0
            ? QStringLiteral("**Every expectation held** (%1 samples).\n\n").arg(run.samples.size())
            : QStringLiteral("**%1 of %2 samples broke an expectation.**\n\n").arg(broken).arg(run.samples.size());
    }
    if (diagnosis) {
        md += diagnosisToMarkdown(*diagnosis);
        md += QStringLiteral("## Matrix\n\n");
    }

    md += QStringLiteral("| probe |");
    for (const QString &t : matrix.targets()) {
        md += QLatin1Char(' ') + cellText(t) + QStringLiteral(" |");
    }
    md += QStringLiteral("\n|---|");
    for (int c = 0; c < matrix.columnCount(); ++c) {
        md += QStringLiteral("---|");
    }
    md += QLatin1Char('\n');
    for (int r = 0; r < matrix.rowCount(); ++r) {
        md += QStringLiteral("| %1 |").arg(cellText(matrix.probeIds().at(r)));
        for (int c = 0; c < matrix.columnCount(); ++c) {
            const MatrixCell &cell = matrix.cell(r, c);
            if (cell.isEmpty()) {
                md += cell.skipped > 0 ? QStringLiteral(" skipped |") : QStringLiteral(" – |");
                continue;
            }
            const QString mark = cell.passed == cell.total ? QStringLiteral("✅")
                : cell.passed == 0                         ? QStringLiteral("❌")
                                                           : QStringLiteral("⚠️");
            md += QStringLiteral(" %1 %2/%3 · %4 |").arg(mark).arg(cell.passed).arg(cell.total).arg(ms(cell.medianMs));
        }
        md += QLatin1Char('\n');
    }

    if (broken > 0) {
        md += QStringLiteral("\n## What did not go as expected\n");
        for (const QString &probe : matrix.probeIds()) {
            for (const QString &target : matrix.targets()) {
                const QList<Sample> samples = samplesOf(run, probe, target);
                const auto bad = std::find_if(samples.cbegin(), samples.cend(), [&](const Sample &s) {
                    return !expectationHolds(plan, s);
                });
                if (bad == samples.cend()) {
                    continue;
                }
                md += QStringLiteral("\n### %1 on %2\n\n").arg(probe, target);
                md += QStringLiteral("%1 (%2, exit code %3): %4\n\n")
                          .arg(toText(bad->status), ms(bad->latencyMs))
                          .arg(bad->exitCode)
                          .arg(bad->message.isEmpty() ? QStringLiteral("passed, but the plan expects it to fail")
                                                      : bad->message);
                QString body = QStringLiteral("$ %1\n").arg(bad->command);
                for (const auto &[part, truncated] : { std::pair { bad->stdOut, bad->stdOutTruncated },
                         std::pair { bad->stdErr, bad->stdErrTruncated } }) {
                    QString text = clip(part, truncated, 1500);
                    if (!text.isEmpty() && !text.endsWith(QLatin1Char('\n'))) {
                        text += QLatin1Char('\n');
                    }
                    body += text;
                }
                // A fence longer than any run of backticks in the output, so the output cannot end it.
                int longest = 0;
                int run = 0;
                for (const QChar ch : std::as_const(body)) {
                    run = ch == QLatin1Char('`') ? run + 1 : 0;
                    longest = std::max(longest, run);
                }
                const QString fence(std::max(3, longest + 1), QLatin1Char('`'));
                md += fence + QStringLiteral("console\n") + body + fence + QLatin1Char('\n');
            }
        }
    }
    return md.toUtf8();
}

} // namespace nestscope
