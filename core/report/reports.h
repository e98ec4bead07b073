#pragma once

#include "diagnosis/diagnosis.h"
#include "plan/plan.h"
#include "results/sample.h"

#include <QByteArray>

namespace nestscope {

/// JUnit XML for CI systems: one test suite per target, one test case per probe; a case fails
/// when any of its samples breaks the plan's expectation, with every such sample in the message.
QByteArray runToJUnit(const Plan &plan, const Run &run);

/// A Markdown summary a team can read: the verdict, the findings of the diagnosis when one is
/// given (first: they are what the reader came for), the matrix (probes x targets) and every
/// cell whose expectation did not hold, with the exact command and what it printed.
QByteArray runToMarkdown(const Plan &plan, const Run &run, const Diagnosis *diagnosis = nullptr);

/// The findings as GitHub-flavoured Markdown: the verdict, then per finding its cause,
/// confidence and why, what it affects, the evidence (raw text in code blocks, long ones folded
/// in <details>), the fix with its revert commands, checks and references.
QString diagnosisToMarkdown(const Diagnosis &diagnosis);

/// diagnosisToMarkdown() without its "## Diagnosis" heading, each finding under a heading of
/// `headingLevel` (3: "### 1. title"), for documents that put the findings in a section of their own.
QString findingsToMarkdown(const Diagnosis &diagnosis, int headingLevel = 3);

/// Markdown building blocks the reports share.
namespace md {
/// A table cell: '|' escaped, newlines as spaces; the text is kept whole.
QString cellText(QString text);
/// A fenced block that no backtick run inside the text can close early.
QString fenced(const QString &text, const QString &language = {});
/// Raw text in a fenced block; long text (8 lines or more) folded in <details>. Nothing is cut.
QString rawBlock(const QString &text);
} // namespace md

/// The verdict for a terminal: "Diagnosis: <summary>", then one line per finding (rank,
/// confidence, title, targets) and under the first its fix commands. Plain text, no colours.
QString diagnosisSummaryText(const Diagnosis &diagnosis);

} // namespace nestscope
