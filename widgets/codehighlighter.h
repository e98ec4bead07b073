#pragma once

#include "common/codelanguage.h"

#include <QString>

class QSyntaxHighlighter;
class QTextDocument;

namespace nestscope {

/// Attaches a highlighter for `language` to `document` and returns it (owned by the document).
/// Uses KSyntaxHighlighting (KF6) when the build found it, else Nestscope's own small
/// highlighter; both follow the palette, so dark themes stay readable.
QSyntaxHighlighter *attachHighlighter(QTextDocument *document, CodeLanguage language);

/// "KSyntaxHighlighting" or "built-in": which one this build uses (shown in About, tested).
QString highlighterBackend();

} // namespace nestscope
