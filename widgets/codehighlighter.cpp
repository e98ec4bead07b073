#include "codehighlighter.h"

#include <QGuiApplication>
#include <QPalette>
#include <QRegularExpression>
#include <QSyntaxHighlighter>
#include <QTextDocument>

#ifdef NESTSCOPE_HAVE_KSYNTAXHIGHLIGHTING
#include <KSyntaxHighlighting/Definition>
#include <KSyntaxHighlighting/Repository>
#include <KSyntaxHighlighting/SyntaxHighlighter>
#include <KSyntaxHighlighting/Theme>
#endif

namespace nestscope {

namespace {

// Colours picked for contrast on both light and dark window backgrounds.
struct Palette {
    QColor key, string, number, comment, keyword, error, variable;
    static Palette current()
    {
        const bool dark = QGuiApplication::palette().color(QPalette::Base).lightness() < 128;
        if (dark) {
            return { QColor(0x7a, 0xb8, 0xff), QColor(0x9c, 0xd6, 0x7d), QColor(0xf0, 0xb5, 0x6a),
                QColor(0x8a, 0x8a, 0x8a), QColor(0xd7, 0x9b, 0xf0), QColor(0xff, 0x7a, 0x70),
                QColor(0x5f, 0xd7, 0xd7) };
        }
        return { QColor(0x1f, 0x4e, 0x99), QColor(0x2b, 0x7a, 0x0b), QColor(0xa3, 0x5a, 0x00), QColor(0x70, 0x70, 0x70),
            QColor(0x7a, 0x1f, 0x99), QColor(0xc0, 0x1c, 0x10), QColor(0x0a, 0x75, 0x75) };
    }
};

class BuiltinHighlighter final : public QSyntaxHighlighter {
public:
    BuiltinHighlighter(QTextDocument *document, CodeLanguage language)
        : QSyntaxHighlighter(document)
    {
        const Palette p = Palette::current();
        auto add = [this](const QString &pattern, const QColor &color, bool bold = false, int group = 0) {
            QTextCharFormat f;
            f.setForeground(color);
            if (bold) {
                f.setFontWeight(QFont::Bold);
            }
            m_rules.append({ QRegularExpression(pattern), f, group });
        };
        switch (language) {
        case CodeLanguage::Yaml:
            add(QStringLiteral("^\\s*(?:-\\s+)?([A-Za-z0-9_.-]+)\\s*:(?=\\s|$)"), p.key, true, 1);
            add(QStringLiteral("[{,]\\s*([A-Za-z0-9_.-]+)\\s*:"), p.key, true, 1);
            add(QStringLiteral("\\b\\d+(\\.\\d+)?(ms|s|m|h)?\\b"), p.number);
            add(QStringLiteral("\\b(true|false|null|yes|no)\\b"), p.keyword);
            add(QStringLiteral("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'"), p.string);
            add(QStringLiteral("\\$\\{[^}]*\\}"), p.variable, true);
            add(QStringLiteral("(?:^|\\s)(#.*)$"), p.comment, false, 1);
            break;
        case CodeLanguage::Shell:
            add(QStringLiteral("\\b(if|then|else|elif|fi|for|while|do|done|case|esac|in|exit|command|exec)\\b"),
                p.keyword, true);
            add(QStringLiteral("(?:^|\\s)(-{1,2}[A-Za-z0-9][\\w-]*)"), p.key, false, 1);
            add(QStringLiteral("\\$\\(?[A-Za-z_{][^\\s)]*\\)?"), p.variable);
            add(QStringLiteral("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'"), p.string);
            add(QStringLiteral("(?:^|\\s)(#.*)$"), p.comment, false, 1);
            break;
        case CodeLanguage::Json:
            add(QStringLiteral("\"(?:[^\"\\\\]|\\\\.)*\"(?=\\s*:)"), p.key, true);
            add(QStringLiteral(":\\s*(\"(?:[^\"\\\\]|\\\\.)*\")"), p.string, false, 1);
            add(QStringLiteral("\\b-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?\\b"), p.number);
            add(QStringLiteral("\\b(true|false|null)\\b"), p.keyword);
            break;
        case CodeLanguage::Log:
            add(QStringLiteral("^(\\$ .*)$"), p.keyword, true, 1);
            add(QStringLiteral("\\b(error|failed|failure|refused|timed out|unreachable|denied|Err:|E:)\\b.*"), p.error);
            add(QStringLiteral("\\b(W:|warning)\\b.*"), p.number);
            add(QStringLiteral(
                    "\\b\\d{1,3}(\\.\\d{1,3}){3}(/\\d+)?\\b|\\b[0-9a-fA-F]{1,4}(:[0-9a-fA-F]{0,4}){2,7}(/\\d+)?\\b"),
                p.variable);
            add(QStringLiteral("^(── .* ──)$"), p.comment, true, 1);
            break;
        }
    }

protected:
    void highlightBlock(const QString &text) override
    {
        for (const Rule &rule : std::as_const(m_rules)) {
            auto it = rule.pattern.globalMatch(text);
            while (it.hasNext()) {
                const auto m = it.next();
                setFormat(int(m.capturedStart(rule.group)), int(m.capturedLength(rule.group)), rule.format);
            }
        }
    }

private:
    struct Rule {
        QRegularExpression pattern;
        QTextCharFormat format;
        int group;
    };
    QList<Rule> m_rules;
};

} // namespace

QSyntaxHighlighter *attachHighlighter(QTextDocument *document, CodeLanguage language)
{
#ifdef NESTSCOPE_HAVE_KSYNTAXHIGHLIGHTING
    static KSyntaxHighlighting::Repository repository;
    const char *name = language == CodeLanguage::Yaml ? "YAML"
        : language == CodeLanguage::Shell             ? "Bash"
        : language == CodeLanguage::Json              ? "JSON"
                                                      : "Log File (simplified)";
    const auto definition = repository.definitionForName(QLatin1String(name));
    if (definition.isValid()) {
        auto *h = new KSyntaxHighlighting::SyntaxHighlighter(document);
        h->setDefinition(definition);
        const bool dark = QGuiApplication::palette().color(QPalette::Base).lightness() < 128;
        h->setTheme(repository.defaultTheme(
            dark ? KSyntaxHighlighting::Repository::DarkTheme : KSyntaxHighlighting::Repository::LightTheme));
        return h;
    }
#endif
    return new BuiltinHighlighter(document, language);
}

QString highlighterBackend()
{
#ifdef NESTSCOPE_HAVE_KSYNTAXHIGHLIGHTING
    return QStringLiteral("KSyntaxHighlighting");
#else
    return QStringLiteral("built-in");
#endif
}

} // namespace nestscope
