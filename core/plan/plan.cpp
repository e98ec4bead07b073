#include "plan.h"

#include "common/logging.h"
#include "common/shellquote.h"
#include "transport/instancetransport.h"

#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace nestscope {

QString toText(ProbeKind kind)
{
    switch (kind) {
    case ProbeKind::Shell:
        return QStringLiteral("shell");
    case ProbeKind::Http:
        return QStringLiteral("http");
    case ProbeKind::Fact:
        return QStringLiteral("fact");
    case ProbeKind::Dns:
        return QStringLiteral("dns");
    case ProbeKind::Tcp:
        return QStringLiteral("tcp");
    case ProbeKind::Icmp:
        return QStringLiteral("icmp");
    case ProbeKind::Mtu:
        return QStringLiteral("mtu");
    case ProbeKind::Package:
        return QStringLiteral("package");
    case ProbeKind::Docker:
        return QStringLiteral("docker");
    }
    return {};
}

QString toText(Family family)
{
    switch (family) {
    case Family::Any:
        return QStringLiteral("any");
    case Family::IPv4:
        return QStringLiteral("ipv4");
    case Family::IPv6:
        return QStringLiteral("ipv6");
    }
    return {};
}

QString toText(FactKind fact)
{
    switch (fact) {
    case FactKind::Ipv4Address:
        return QStringLiteral("ipv4-address");
    case FactKind::Ipv6Address:
        return QStringLiteral("ipv6-address");
    case FactKind::Ipv4DefaultRoute:
        return QStringLiteral("ipv4-default-route");
    case FactKind::Ipv6DefaultRoute:
        return QStringLiteral("ipv6-default-route");
    case FactKind::Ipv6Enabled:
        return QStringLiteral("ipv6-enabled");
    case FactKind::Resolver:
        return QStringLiteral("resolver");
    }
    return {};
}

const Probe *Plan::probe(const QString &id) const
{
    for (const Probe &p : probes) {
        if (p.id == id) {
            return &p;
        }
    }
    return nullptr;
}

int Plan::sampleCount() const
{
    int n = 0;
    for (const Probe &p : probes) {
        n += p.repeat * static_cast<int>(targets.size());
    }
    return n;
}

std::chrono::milliseconds defaultTimeoutFor(const Probe &probe, std::chrono::milliseconds planDefault)
{
    // Package managers fetch indexes from several mirrors; a short default would only measure impatience.
    const bool slow = probe.kind == ProbeKind::Package || (probe.kind == ProbeKind::Docker && !probe.image.isEmpty());
    return slow ? std::max(planDefault, std::chrono::milliseconds(120000)) : planDefault;
}

std::optional<std::chrono::milliseconds> parseDuration(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^\\s*(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?\\s*$"));
    const auto m = re.match(text);
    if (!m.hasMatch()) {
        return std::nullopt;
    }
    const double value = m.captured(1).toDouble();
    const QString unit = m.captured(2);
    double factor = 1000.0;
    if (unit == QLatin1String("ms")) {
        factor = 1.0;
    } else if (unit == QLatin1String("m")) {
        factor = 60'000.0;
    } else if (unit == QLatin1String("h")) {
        factor = 3'600'000.0;
    }
    const double ms = value * factor;
    if (ms < 1.0 || ms > 24.0 * 3'600'000.0) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<qint64>(std::llround(ms)));
}

namespace {

// Thrown only inside this file and caught in parsePlan: it keeps the walk over the YAML tree
// readable while every error still leaves with its position.
struct PlanError {
    QString message;
    YAML::Mark mark;
};

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

[[noreturn]] void fail(const YAML::Node &node, const QString &message)
{
    throw PlanError { message, node.Mark() };
}

/// What yaml-cpp accepts without a word: a key written twice in one mapping (node["key"] then
/// returns the first, so the plan runs other than it reads) and a second document (YAML::Load reads
/// only the first). Checked on the parser's events, where an alias is one event and is not
/// expanded, so the check stays linear in the text whatever anchors it uses.
class StrictYamlCheck final : public YAML::EventHandler {
public:
    static void run(const std::string &text)
    {
        std::istringstream in(text);
        YAML::Parser parser(in);
        StrictYamlCheck check;
        while (parser.HandleNextDocument(check)) { }
    }

    void OnDocumentStart(const YAML::Mark &mark) override
    {
        if (++m_documents > 1) {
            throw PlanError { QStringLiteral("a second YAML document starts here; a plan is one document, so remove "
                                             "this \"---\" or put the second plan in its own file"),
                mark };
        }
    }
    void OnDocumentEnd() override { }
    void OnNull(const YAML::Mark &mark, YAML::anchor_t) override { node(mark, nullptr); }
    void OnAlias(const YAML::Mark &mark, YAML::anchor_t) override { node(mark, nullptr); }
    void OnScalar(const YAML::Mark &mark, const std::string &, YAML::anchor_t, const std::string &value) override
    {
        node(mark, &value);
    }
    void OnSequenceStart(
        const YAML::Mark &mark, const std::string &, YAML::anchor_t, YAML::EmitterStyle::value) override
    {
        node(mark, nullptr);
        m_open.push_back({ false, true, {} });
    }
    void OnSequenceEnd() override { m_open.pop_back(); }
    void OnMapStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t, YAML::EmitterStyle::value) override
    {
        node(mark, nullptr);
        m_open.push_back({ true, true, {} });
    }
    void OnMapEnd() override { m_open.pop_back(); }

private:
    struct Collection {
        bool map = false;
        bool keyNext = true; ///< in a map, nodes alternate: key, value, key, ...
        std::map<std::string, YAML::Mark> keys;
    };

    // Every node starts with one of the events above; in a mapping, every other one is a key.
    void node(const YAML::Mark &mark, const std::string *scalar)
    {
        if (m_open.empty() || !m_open.back().map) {
            return;
        }
        Collection &map = m_open.back();
        const bool isKey = map.keyNext;
        map.keyNext = !map.keyNext;
        if (!isKey || !scalar) {
            return; // complex keys (a mapping as a key) never name anything a plan reads
        }
        const auto [first, added] = map.keys.emplace(*scalar, mark);
        if (!added) {
            throw PlanError { QStringLiteral("duplicate key \"%1\" (first at line %2, column %3); a key may appear "
                                             "only once in a mapping")
                                  .arg(qs(*scalar))
                                  .arg(first->second.line + 1)
                                  .arg(first->second.column + 1),
                mark };
        }
    }

    int m_documents = 0;
    std::vector<Collection> m_open;
};

/// The error for a plan over kMaxPlanBytes, placed at the first byte past the limit. `size` is the
/// whole size when known (a file), else -1.
Error planTooLarge(const QByteArray &head, qint64 size, const QString &file)
{
    const QByteArrayView within(head.constData(), std::min<qsizetype>(head.size(), kMaxPlanBytes));
    const qsizetype lastNewline = within.lastIndexOf('\n');
    const int line = int(std::count(within.begin(), within.end(), '\n')) + 1;
    const int column = int(within.size() - lastNewline);
    const QString how = size >= 0 ? QStringLiteral("is %1 bytes").arg(size) : QStringLiteral("is larger than that");
    return Error { QStringLiteral("the plan %1; a plan may be at most %2 bytes (4 MiB). Split it, or move large "
                                  "scripts into files the probes run")
                       .arg(how)
                       .arg(kMaxPlanBytes),
        file, line, column };
}

QString scalar(const YAML::Node &node, const QString &what)
{
    if (!node.IsScalar()) {
        fail(node, QStringLiteral("%1 must be a text value").arg(what));
    }
    return qs(node.Scalar());
}

int integer(const YAML::Node &node, const QString &what, int min, int max)
{
    const QString text = scalar(node, what);
    bool ok = false;
    const int value = text.toInt(&ok);
    if (!ok || value < min || value > max) {
        fail(node,
            QStringLiteral("%1 must be a whole number from %2 to %3, not \"%4\"")
                .arg(what)
                .arg(min)
                .arg(max)
                .arg(text));
    }
    return value;
}

std::chrono::milliseconds duration(const YAML::Node &node, const QString &what)
{
    const QString text = scalar(node, what);
    const auto d = parseDuration(text);
    if (!d) {
        fail(node, QStringLiteral("%1: \"%2\" is not a duration; write e.g. 500ms, 10s or 2m").arg(what, text));
    }
    return *d;
}

void checkKeys(const YAML::Node &map, const QStringList &allowed, const QString &where)
{
    for (auto it = map.begin(); it != map.end(); ++it) {
        const QString key = qs(it->first.Scalar());
        if (!allowed.contains(key)) {
            fail(it->first,
                QStringLiteral("unknown key \"%1\" in %2; expected one of: %3")
                    .arg(key, where, allowed.join(QStringLiteral(", "))));
        }
    }
}

const QRegularExpression &idPattern()
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"));
    return re;
}

// A glob over instance names or probe ids: the name characters plus * ? [ ].
bool isValidGlob(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9_.*?\\[\\]-]{1,64}$"));
    return re.match(text).hasMatch();
}

bool globMatches(const QString &glob, const QString &name)
{
    return QRegularExpression(
        QRegularExpression::wildcardToRegularExpression(glob, QRegularExpression::UnanchoredWildcardConversion)
            .prepend(QLatin1Char('^'))
            .append(QLatin1Char('$')))
        .match(name)
        .hasMatch();
}

struct KindInfo {
    ProbeKind kind;
    const char *name;
    QStringList keys; // besides the common ones
};

const QList<KindInfo> &kinds()
{
    static const QList<KindInfo> list {
        { ProbeKind::Shell, "shell",
            { QStringLiteral("command"), QStringLiteral("expect_exit"), QStringLiteral("expect_stdout") } },
        { ProbeKind::Http, "http",
            { QStringLiteral("url"), QStringLiteral("expect_status"), QStringLiteral("family"),
                QStringLiteral("min_bytes") } },
        { ProbeKind::Fact, "fact", { QStringLiteral("fact") } },
        { ProbeKind::Dns, "dns", { QStringLiteral("name"), QStringLiteral("record") } },
        { ProbeKind::Tcp, "tcp", { QStringLiteral("host"), QStringLiteral("port"), QStringLiteral("family") } },
        { ProbeKind::Icmp, "icmp",
            { QStringLiteral("host"), QStringLiteral("family"), QStringLiteral("count"), QStringLiteral("max_loss") } },
        { ProbeKind::Mtu, "mtu", { QStringLiteral("host"), QStringLiteral("family"), QStringLiteral("size") } },
        { ProbeKind::Package, "package", {} },
        { ProbeKind::Docker, "docker", { QStringLiteral("image") } },
    };
    return list;
}

const QList<std::pair<FactKind, const char *>> &facts()
{
    static const QList<std::pair<FactKind, const char *>> list {
        { FactKind::Ipv4Address, "ipv4-address" },
        { FactKind::Ipv6Address, "ipv6-address" },
        { FactKind::Ipv4DefaultRoute, "ipv4-default-route" },
        { FactKind::Ipv6DefaultRoute, "ipv6-default-route" },
        { FactKind::Ipv6Enabled, "ipv6-enabled" },
        { FactKind::Resolver, "resolver" },
    };
    return list;
}

/// Fills a plan's ${variables} into a `shell` probe's command without ever pasting a value into
/// it: each value is assigned, single-quoted, to a shell variable in front of the command, and
/// each reference becomes an expansion of that variable written for where it stands, which is why
/// the command is read the way sh reads it (quotes, $( ), backquotes, ${ }, $(( )), here-documents
/// and comments):
/// - unquoted: "${nestscope_var_x}", one word whatever the value holds;
/// - in double quotes, ${ } and here-document bodies: ${nestscope_var_x}, where the shell neither
///   splits nor globs it, and quotes would arrive as text;
/// - in $(( )): ${nestscope_var_x}, and only when the value is a whole number, since sh evaluates
///   what an expansion gives there as arithmetic (bash even runs $( ) inside an array index);
/// - in single quotes and in a here-document with a quoted delimiter nothing is expanded, so a
///   reference there is refused.
/// The result of an expansion is never read as shell code again, so no value can add a command.
/// ${NAME} that is not a plan variable stays, as the shell's own (${HOME}, ${1:-x}).
class ShellExpander {
public:
    ShellExpander(const QMap<QString, QString> &variables, const YAML::Node &node, const QString &what)
        : m_variables(variables)
        , m_node(node)
        , m_what(what)
    {
    }

    QString expand(const QString &text)
    {
        m_text = text;
        qsizetype i = 0;
        const QString body = scan(i, Context::Top, Emit::Quoted, 0);
        return m_prefix + body;
    }

private:
    enum class Context { Top, Subst, Backquote, Double, Arith, Brace, HereDoc };
    enum class Emit { Quoted, Bare, Number };
    struct PendingHereDoc {
        QString delimiter;
        bool quoted = false;
        bool stripTabs = false;
    };
    static constexpr int kMaxDepth = 64;

    [[noreturn]] void refuse(const QString &why) const { fail(m_node, QStringLiteral("%1 %2").arg(m_what, why)); }

    QChar at(qsizetype i) const { return i < m_text.size() ? m_text.at(i) : QChar(); }
    /// Whether the reserved word `word` stands at i (followed by a blank, ';', a newline or the end).
    bool isWord(qsizetype i, QLatin1String word) const
    {
        const QChar next = at(i + word.size());
        return startsAt(i, word)
            && (next.isNull() || next == QLatin1Char(' ') || next == QLatin1Char('\t') || next == QLatin1Char('\n')
                || next == QLatin1Char(';') || next == QLatin1Char(')'));
    }
    bool startsAt(qsizetype i, QLatin1String s) const { return QStringView(m_text).mid(i).startsWith(s); }

    /// The plan variable that a "${NAME}" at i names, or an empty string.
    QString planVariableAt(qsizetype i, qsizetype *end) const
    {
        if (!startsAt(i, QLatin1String("${"))) {
            return {};
        }
        // Only as far as a name can go: a search for the '}' would make "${${${..." quadratic.
        qsizetype close = i + 2;
        while (close < m_text.size() && close - i < 256
            && (m_text.at(close).isLetterOrNumber() || m_text.at(close) == QLatin1Char('_'))) {
            ++close;
        }
        const QString name = m_text.mid(i + 2, close - i - 2);
        if (at(close) != QLatin1Char('}') || name.isEmpty() || !m_variables.contains(name)) {
            return {};
        }
        *end = close + 1;
        return name;
    }

    QString reference(const QString &name, Emit emit)
    {
        const QString value = m_variables.value(name);
        if (emit == Emit::Number) {
            static const QRegularExpression number(QStringLiteral("^[+-]?(0|[1-9][0-9]{0,17})$"));
            if (!number.match(value).hasMatch()) {
                refuse(QStringLiteral("uses ${%1} inside $(( )), where only a whole number can be filled in safely "
                                      "(decimal, no leading zeros), and its value \"%2\" is not one")
                           .arg(name, value));
            }
        }
        const QString shellName = QStringLiteral("nestscope_var_") + name;
        if (!m_assigned.contains(name)) {
            m_assigned << name;
            m_prefix += shellName + QLatin1Char('=') + shellQuote(value) + QStringLiteral("; ");
        }
        return emit == Emit::Quoted ? QStringLiteral("\"${%1}\"").arg(shellName)
                                    : QStringLiteral("${%1}").arg(shellName);
    }

    /// Copies text up to the closing quote of a '...' (or $'...') string; a plan variable in it is refused.
    void skipSingleQuoted(qsizetype &i, QString &out, bool backslashEscapes)
    {
        while (i < m_text.size()) {
            const QChar c = m_text.at(i);
            if (backslashEscapes && c == QLatin1Char('\\') && i + 1 < m_text.size()) {
                out += c;
                out += m_text.at(i + 1);
                i += 2;
                continue;
            }
            qsizetype end = 0;
            if (const QString name = planVariableAt(i, &end); !name.isEmpty()) {
                refuse(
                    QStringLiteral("uses ${%1} inside single quotes, where it cannot be filled in safely; use double "
                                   "quotes")
                        .arg(name));
            }
            out += c;
            ++i;
            if (c == QLatin1Char('\'')) {
                return;
            }
        }
    }

    /// After "<<" (and "-"): the delimiter word, copied to out. Quoting any part of it means the
    /// body is not expanded.
    void readHereDocOperator(qsizetype &i, QString &out)
    {
        PendingHereDoc doc;
        if (at(i) == QLatin1Char('-')) {
            doc.stripTabs = true;
            out += m_text.at(i++);
        }
        while (at(i) == QLatin1Char(' ') || at(i) == QLatin1Char('\t')) {
            out += m_text.at(i++);
        }
        static const QString ends = QStringLiteral(" \t\n;&|<>()");
        while (i < m_text.size() && !ends.contains(m_text.at(i))) {
            const QChar c = m_text.at(i);
            out += c;
            ++i;
            if (c == QLatin1Char('\\') && i < m_text.size()) {
                doc.quoted = true;
                doc.delimiter += m_text.at(i);
                out += m_text.at(i++);
            } else if (c == QLatin1Char('\'') || c == QLatin1Char('"')) {
                doc.quoted = true;
                while (i < m_text.size() && m_text.at(i) != c) {
                    doc.delimiter += m_text.at(i);
                    out += m_text.at(i++);
                }
                if (i < m_text.size()) {
                    out += m_text.at(i++);
                }
            } else {
                doc.delimiter += c;
            }
        }
        if (!doc.delimiter.isEmpty()) {
            m_pending << doc;
        }
    }

    /// At the start of the line after a "<<" operator: each pending body up to its delimiter line.
    void readHereDocBodies(qsizetype &i, QString &out, int depth)
    {
        const QList<PendingHereDoc> docs = std::exchange(m_pending, {});
        for (const PendingHereDoc &doc : docs) {
            QString body;
            QString closing;
            while (i < m_text.size()) {
                const qsizetype nl = m_text.indexOf(QLatin1Char('\n'), i);
                const qsizetype end = nl < 0 ? m_text.size() : nl + 1;
                const QString line = m_text.mid(i, end - i);
                i = end;
                QStringView word = QStringView(line);
                if (word.endsWith(QLatin1Char('\n'))) {
                    word.chop(1);
                }
                while (doc.stripTabs && word.startsWith(QLatin1Char('\t'))) {
                    word = word.mid(1);
                }
                if (word == doc.delimiter) {
                    closing = line;
                    break;
                }
                body += line;
            }
            if (doc.quoted) {
                static const QRegularExpression ref(QStringLiteral("\\$\\{([A-Za-z0-9_]+)\\}"));
                for (auto it = ref.globalMatch(body); it.hasNext();) {
                    const QString name = it.next().captured(1);
                    if (m_variables.contains(name)) {
                        refuse(QStringLiteral("uses ${%1} in a here-document with a quoted delimiter (<<'%2'), where "
                                              "nothing is filled in; write <<%2")
                                   .arg(name, doc.delimiter));
                    }
                }
                out += body;
            } else {
                // The body is read on its own, as the shell does once it has found the delimiter.
                const QString text = std::exchange(m_text, body);
                qsizetype j = 0;
                out += scan(j, Context::HereDoc, Emit::Bare, depth + 1);
                m_text = text;
            }
            out += closing;
        }
    }

    /// Copies text in `context` up to (and including) what closes it, rewriting plan variables.
    QString scan(qsizetype &i, Context context, Emit emit, int depth)
    {
        if (depth > kMaxDepth) {
            refuse(QStringLiteral("nests quotes and substitutions more than %1 levels deep").arg(kMaxDepth));
        }
        const bool plain = context == Context::Top || context == Context::Subst || context == Context::Backquote;
        QString out;
        int parens = 0;
        int cases = 0; // open "case ... esac": a pattern's ")" does not end a $( )
        while (i < m_text.size()) {
            const QChar c = m_text.at(i);
            // What closes this context.
            if (context == Context::Subst && c == QLatin1Char(')') && parens == 0 && cases == 0) {
                out += c;
                ++i;
                return out;
            }
            if (context == Context::Arith && c == QLatin1Char(')') && parens == 0 && at(i + 1) == QLatin1Char(')')) {
                out += QStringLiteral("))");
                i += 2;
                return out;
            }
            if ((context == Context::Backquote && c == QLatin1Char('`'))
                || (context == Context::Double && c == QLatin1Char('"'))
                || (context == Context::Brace && c == QLatin1Char('}'))) {
                out += c;
                ++i;
                return out;
            }
            if (c == QLatin1Char('\\') && i + 1 < m_text.size() && context != Context::Arith) {
                out += c;
                out += m_text.at(i + 1);
                i += 2;
                continue;
            }
            qsizetype end = 0;
            if (const QString name = planVariableAt(i, &end); !name.isEmpty()) {
                out += reference(name, emit);
                i = end;
                continue;
            }
            if (c == QLatin1Char('$') && startsAt(i, QLatin1String("$(("))) {
                out += QStringLiteral("$((");
                i += 3;
                out += scan(i, Context::Arith, Emit::Number, depth + 1);
                continue;
            }
            if (c == QLatin1Char('$') && at(i + 1) == QLatin1Char('(')) {
                out += QStringLiteral("$(");
                i += 2;
                out += scan(i, Context::Subst, Emit::Quoted, depth + 1);
                continue;
            }
            if (c == QLatin1Char('$') && at(i + 1) == QLatin1Char('{')) {
                out += QStringLiteral("${");
                i += 2;
                // The shell's own ${...}: a word inside keeps the quoting around it.
                out += scan(i, Context::Brace, emit, depth + 1);
                continue;
            }
            if (c == QLatin1Char('`') && context != Context::Arith) {
                out += c;
                ++i;
                out += scan(i, Context::Backquote, Emit::Quoted, depth + 1);
                continue;
            }
            const bool quotes = plain || (context == Context::Brace && emit == Emit::Quoted);
            if (quotes && c == QLatin1Char('$') && at(i + 1) == QLatin1Char('\'')) {
                out += QStringLiteral("$'");
                i += 2;
                skipSingleQuoted(i, out, true);
                continue;
            }
            if (quotes && c == QLatin1Char('\'')) {
                out += c;
                ++i;
                skipSingleQuoted(i, out, false);
                continue;
            }
            if ((quotes || context == Context::Brace) && c == QLatin1Char('"')) {
                out += c;
                ++i;
                out += scan(i, Context::Double, Emit::Bare, depth + 1);
                continue;
            }
            if (plain) {
                static const QString wordStart = QStringLiteral(" \t\n;&|()<>");
                const bool atWordStart = i == 0 || wordStart.contains(m_text.at(i - 1));
                if (atWordStart && (isWord(i, QLatin1String("case")) || isWord(i, QLatin1String("esac")))) {
                    cases = std::max(0, cases + (c == QLatin1Char('c') ? 1 : -1));
                    out += m_text.mid(i, 4);
                    i += 4;
                    continue;
                }
                if (c == QLatin1Char('#') && atWordStart) {
                    // A comment: an apostrophe in "# don't" must not open a quote.
                    const qsizetype nl = m_text.indexOf(QLatin1Char('\n'), i);
                    const qsizetype stop = nl < 0 ? m_text.size() : nl;
                    out += m_text.mid(i, stop - i);
                    i = stop;
                    continue;
                }
                if (c == QLatin1Char('<') && at(i + 1) == QLatin1Char('<') && at(i + 2) != QLatin1Char('<')) {
                    out += QStringLiteral("<<");
                    i += 2;
                    readHereDocOperator(i, out);
                    continue;
                }
                if (c == QLatin1Char('<') && startsAt(i, QLatin1String("<<<"))) {
                    out += QStringLiteral("<<<"); // bash's here-string: a word follows, not a body
                    i += 3;
                    continue;
                }
                if (c == QLatin1Char('\n')) {
                    out += c;
                    ++i;
                    if (!m_pending.isEmpty()) {
                        readHereDocBodies(i, out, depth);
                    }
                    continue;
                }
            }
            if (context == Context::Subst || context == Context::Arith) {
                if (c == QLatin1Char('(')) {
                    ++parens;
                } else if (c == QLatin1Char(')')) {
                    --parens;
                }
            }
            out += c;
            ++i;
        }
        return out;
    }

    const QMap<QString, QString> &m_variables;
    const YAML::Node &m_node;
    QString m_what;
    QString m_text;
    QStringList m_assigned;
    QString m_prefix;
    QList<PendingHereDoc> m_pending;
};

class Parser {
public:
    explicit Parser(const QMap<QString, QString> &overrides)
        : m_overrides(overrides)
    {
    }

    Plan parse(const YAML::Node &root)
    {
        if (!root.IsMap()) {
            fail(root, QStringLiteral("a plan is a mapping with at least \"probes\""));
        }
        checkKeys(root, planTopLevelKeys(), QStringLiteral("the plan"));
        if (root["name"]) {
            m_plan.name = scalar(root["name"], QStringLiteral("name"));
        }
        if (root["description"]) {
            m_plan.description = scalar(root["description"], QStringLiteral("description"));
        }
        parseVariables(root["variables"]);
        parseDefaults(root["defaults"]);
        parseTargets(root["targets"]);
        const YAML::Node probes = root["probes"];
        if (!probes) {
            fail(root, QStringLiteral("the plan has no probes; add a \"probes:\" list"));
        }
        if (!probes.IsSequence() || probes.size() == 0) {
            fail(probes, QStringLiteral("probes must be a non-empty list"));
        }
        QSet<QString> seen;
        for (const YAML::Node &node : probes) {
            Probe p = parseProbe(node);
            if (seen.contains(p.id)) {
                fail(node["id"], QStringLiteral("probe id \"%1\" is used twice; ids must be unique").arg(p.id));
            }
            seen.insert(p.id);
            m_plan.probes << std::move(p);
        }
        parseExpectations(root["expect"]);
        return m_plan;
    }

private:
    void parseVariables(const YAML::Node &vars)
    {
        if (vars) {
            if (!vars.IsMap()) {
                fail(vars, QStringLiteral("variables must be a mapping of names to values"));
            }
            static const QRegularExpression name(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]{0,63}$"));
            for (auto it = vars.begin(); it != vars.end(); ++it) {
                const QString key = qs(it->first.Scalar());
                if (!name.match(key).hasMatch()) {
                    fail(it->first,
                        QStringLiteral("variable name \"%1\" may only use letters, digits and '_'").arg(key));
                }
                m_plan.variables.insert(key, scalar(it->second, QStringLiteral("variable %1").arg(key)));
            }
        }
        for (auto it = m_overrides.cbegin(); it != m_overrides.cend(); ++it) {
            if (!m_plan.variables.contains(it.key())) {
                throw PlanError { QStringLiteral("--var %1: the plan has no variable \"%1\"; it declares: %2")
                                      .arg(it.key(),
                                          m_plan.variables.isEmpty()
                                              ? QStringLiteral("none")
                                              : m_plan.variables.keys().join(QStringLiteral(", "))),
                    vars ? vars.Mark() : YAML::Mark() };
            }
            m_plan.variables.insert(it.key(), it.value());
        }
    }

    void parseDefaults(const YAML::Node &d)
    {
        if (!d) {
            return;
        }
        if (!d.IsMap()) {
            fail(d, QStringLiteral("defaults must be a mapping (timeout, repeat, concurrency, target_concurrency)"));
        }
        checkKeys(d,
            { QStringLiteral("timeout"), QStringLiteral("repeat"), QStringLiteral("concurrency"),
                QStringLiteral("target_concurrency") },
            QStringLiteral("defaults"));
        if (d["timeout"]) {
            m_plan.defaultTimeout = duration(d["timeout"], QStringLiteral("timeout"));
        }
        if (d["repeat"]) {
            m_plan.defaultRepeat = integer(d["repeat"], QStringLiteral("repeat"), 1, 10000);
        }
        if (d["concurrency"]) {
            m_plan.concurrency = integer(d["concurrency"], QStringLiteral("concurrency"), 1, 64);
        }
        if (d["target_concurrency"]) {
            m_plan.targetConcurrency = integer(d["target_concurrency"], QStringLiteral("target_concurrency"), 1, 64);
        }
    }

    void parseTargets(const YAML::Node &t)
    {
        if (t) {
            if (!t.IsSequence()) {
                fail(t, QStringLiteral("targets must be a list, e.g. [runner, all]"));
            }
            for (const YAML::Node &item : t) {
                const QString name = expand(item, QStringLiteral("target"));
                if (name != QLatin1String("runner") && name != QLatin1String("all") && !isValidInstanceName(name)
                    && !isValidGlob(name)) {
                    fail(item,
                        QStringLiteral("target \"%1\" is not runner, all, an instance name or a glob like vm*")
                            .arg(name));
                }
                if (!m_plan.targets.contains(name)) {
                    m_plan.targets << name;
                }
            }
        }
        if (m_plan.targets.isEmpty()) {
            m_plan.targets << QStringLiteral("runner");
        }
    }

    void parseExpectations(const YAML::Node &e)
    {
        if (!e) {
            return;
        }
        if (!e.IsSequence()) {
            fail(e, QStringLiteral("expect must be a list of {probe, target, result}"));
        }
        for (const YAML::Node &item : e) {
            if (!item.IsMap()) {
                fail(item, QStringLiteral("each expectation is a mapping {probe, target, result}"));
            }
            checkKeys(item, { QStringLiteral("probe"), QStringLiteral("target"), QStringLiteral("result") },
                QStringLiteral("an expectation"));
            Expectation ex;
            if (!item["probe"] || !item["result"]) {
                fail(item, QStringLiteral("an expectation needs a probe and a result (pass or fail)"));
            }
            ex.probe = scalar(item["probe"], QStringLiteral("probe"));
            ex.target = item["target"] ? scalar(item["target"], QStringLiteral("target")) : QStringLiteral("*");
            const QString result = scalar(item["result"], QStringLiteral("result"));
            if (result != QLatin1String("pass") && result != QLatin1String("fail")) {
                fail(item["result"], QStringLiteral("result must be pass or fail, not \"%1\"").arg(result));
            }
            ex.pass = result == QLatin1String("pass");
            if (!isValidGlob(ex.probe) && !idPattern().match(ex.probe).hasMatch()) {
                fail(item["probe"], QStringLiteral("\"%1\" is not a probe id or glob").arg(ex.probe));
            }
            const bool matches = std::any_of(m_plan.probes.cbegin(), m_plan.probes.cend(), [&](const Probe &p) {
                return globMatches(ex.probe, p.id);
            });
            if (!matches) {
                fail(item["probe"], QStringLiteral("no probe matches \"%1\"").arg(ex.probe));
            }
            if (ex.target != QLatin1String("runner") && !isValidGlob(ex.target)) {
                fail(item["target"], QStringLiteral("\"%1\" is not a target name or glob").arg(ex.target));
            }
            m_plan.expectations << ex;
        }
    }

    // A text value with ${variables} replaced by their values.
    QString expand(const YAML::Node &node, const QString &what)
    {
        const QString text = scalar(node, what);
        static const QRegularExpression ref(QStringLiteral("\\$\\{([^}]*)\\}"));
        QString out;
        qsizetype last = 0;
        auto it = ref.globalMatch(text);
        while (it.hasNext()) {
            const auto m = it.next();
            const QString name = m.captured(1);
            if (!m_plan.variables.contains(name)) {
                fail(node,
                    QStringLiteral("%1 uses ${%2}, which is not defined; declare it under \"variables:\"")
                        .arg(what, name));
            }
            out += text.mid(last, m.capturedStart() - last);
            out += m_plan.variables.value(name);
            last = m.capturedEnd();
        }
        out += text.mid(last);
        return out;
    }

    // A shell command with the plan's ${variables}, filled in as ShellExpander describes.
    QString expandShell(const YAML::Node &node, const QString &what)
    {
        return ShellExpander(m_plan.variables, node, what).expand(scalar(node, what));
    }

    QString host(const YAML::Node &node, const QString &what)
    {
        const QString h = expand(node, what);
        if (!isValidHost(h)) {
            fail(node, QStringLiteral("%1 \"%2\" is not a host name or an IP address").arg(what, h));
        }
        return h;
    }

    Probe parseProbe(const YAML::Node &node)
    {
        if (!node.IsMap()) {
            fail(node, QStringLiteral("each probe must be a mapping with at least id and kind"));
        }
        Probe probe;
        probe.line = node.Mark().line + 1;
        if (!node["id"]) {
            fail(node, QStringLiteral("probe has no id; add e.g. \"id: http-example\""));
        }
        probe.id = scalar(node["id"], QStringLiteral("id"));
        if (!idPattern().match(probe.id).hasMatch()) {
            fail(node["id"],
                QStringLiteral("probe id \"%1\" may only use letters, digits, '.', '_' and '-' (at most 64)")
                    .arg(probe.id));
        }
        if (!node["kind"]) {
            fail(node, QStringLiteral("probe \"%1\" has no kind; use one of: %2").arg(probe.id, kindNames()));
        }
        const QString kindName = scalar(node["kind"], QStringLiteral("kind"));
        const auto info = std::find_if(kinds().cbegin(), kinds().cend(), [&](const KindInfo &k) {
            return kindName == QLatin1String(k.name);
        });
        if (info == kinds().cend()) {
            fail(node["kind"], QStringLiteral("unknown probe kind \"%1\"; use one of: %2").arg(kindName, kindNames()));
        }
        probe.kind = info->kind;
        const QStringList common { QStringLiteral("id"), QStringLiteral("kind"), QStringLiteral("description"),
            QStringLiteral("timeout"), QStringLiteral("repeat"), QStringLiteral("when") };
        checkKeys(node, common + info->keys, QStringLiteral("probe \"%1\" (%2)").arg(probe.id, kindName));

        auto require = [&](const char *key) {
            const YAML::Node n = node[key];
            if (!n) {
                fail(node, QStringLiteral("%1 probe \"%2\" needs %3").arg(kindName, probe.id, QLatin1String(key)));
            }
            return n;
        };
        if (node["family"]) {
            const QString f = scalar(node["family"], QStringLiteral("family"));
            if (f == QLatin1String("ipv4")) {
                probe.family = Family::IPv4;
            } else if (f == QLatin1String("ipv6")) {
                probe.family = Family::IPv6;
            } else if (f != QLatin1String("any")) {
                fail(node["family"], QStringLiteral("family must be ipv4, ipv6 or any, not \"%1\"").arg(f));
            }
        }

        switch (probe.kind) {
        case ProbeKind::Shell:
            parseShell(node, probe, require("command"));
            break;
        case ProbeKind::Http: {
            const YAML::Node u = require("url");
            const QString url = expand(u, QStringLiteral("url"));
            probe.url = QUrl(url, QUrl::StrictMode);
            const QString scheme = probe.url.scheme();
            if (!probe.url.isValid() || (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
                || !isValidHost(probe.url.host())) {
                fail(u, QStringLiteral("\"%1\" is not an http:// or https:// URL with a host").arg(url));
            }
            if (const YAML::Node st = node["expect_status"]) {
                if (st.IsSequence()) {
                    for (const YAML::Node &item : st) {
                        probe.expectStatus << integer(item, QStringLiteral("expect_status"), 100, 599);
                    }
                } else {
                    probe.expectStatus << integer(st, QStringLiteral("expect_status"), 100, 599);
                }
            }
            if (const YAML::Node mb = node["min_bytes"]) {
                const QString text = expand(mb, QStringLiteral("min_bytes"));
                bool ok = false;
                probe.minBytes = text.toLongLong(&ok);
                if (!ok || probe.minBytes < 1 || probe.minBytes > (qint64(1) << 30)) {
                    fail(mb,
                        QStringLiteral("min_bytes must be a whole number of bytes from 1 to 1073741824, not \"%1\"")
                            .arg(text));
                }
            }
            break;
        }
        case ProbeKind::Fact: {
            const YAML::Node f = require("fact");
            const QString name = scalar(f, QStringLiteral("fact"));
            const auto it = std::find_if(facts().cbegin(), facts().cend(), [&](const auto &pair) {
                return name == QLatin1String(pair.second);
            });
            if (it == facts().cend()) {
                QStringList names;
                for (const auto &pair : facts()) {
                    names << QLatin1String(pair.second);
                }
                fail(f,
                    QStringLiteral("unknown fact \"%1\"; use one of: %2").arg(name, names.join(QStringLiteral(", "))));
            }
            probe.fact = it->first;
            break;
        }
        case ProbeKind::Dns: {
            probe.host = host(require("name"), QStringLiteral("name"));
            const QString record
                = node["record"] ? scalar(node["record"], QStringLiteral("record")).toUpper() : QStringLiteral("A");
            if (record == QLatin1String("A")) {
                probe.family = Family::IPv4;
            } else if (record == QLatin1String("AAAA")) {
                probe.family = Family::IPv6;
            } else {
                fail(node["record"], QStringLiteral("record must be A or AAAA, not \"%1\"").arg(record));
            }
            break;
        }
        case ProbeKind::Tcp:
            probe.host = host(require("host"), QStringLiteral("host"));
            probe.port = integer(require("port"), QStringLiteral("port"), 1, 65535);
            break;
        case ProbeKind::Icmp:
            probe.host = host(require("host"), QStringLiteral("host"));
            if (node["count"]) {
                probe.count = integer(node["count"], QStringLiteral("count"), 1, 100);
            }
            if (node["max_loss"]) {
                QString text = scalar(node["max_loss"], QStringLiteral("max_loss"));
                text.remove(QLatin1Char('%'));
                bool ok = false;
                probe.maxLossPercent = text.toInt(&ok);
                if (!ok || probe.maxLossPercent < 0 || probe.maxLossPercent > 99) {
                    fail(node["max_loss"], QStringLiteral("max_loss must be a percentage from 0 to 99"));
                }
            }
            break;
        case ProbeKind::Mtu:
            probe.host = host(require("host"), QStringLiteral("host"));
            if (node["size"]) {
                probe.mtu = integer(node["size"], QStringLiteral("size"), 576, 65535);
            }
            break;
        case ProbeKind::Package:
            break;
        case ProbeKind::Docker:
            if (node["image"]) {
                probe.image = expand(node["image"], QStringLiteral("image"));
                static const QRegularExpression image(QStringLiteral("^[a-z0-9][a-z0-9._/:@-]{0,254}$"));
                if (!image.match(probe.image).hasMatch()) {
                    fail(node["image"],
                        QStringLiteral("\"%1\" is not an image reference like library/alpine:3").arg(probe.image));
                }
            }
            break;
        }
        if (node["description"]) {
            probe.description = scalar(node["description"], QStringLiteral("description"));
        }
        probe.timeoutSet = bool(node["timeout"]);
        probe.timeout = probe.timeoutSet ? duration(node["timeout"], QStringLiteral("timeout"))
                                         : defaultTimeoutFor(probe, m_plan.defaultTimeout);
        probe.repeat
            = node["repeat"] ? integer(node["repeat"], QStringLiteral("repeat"), 1, 10000) : m_plan.defaultRepeat;
        if (const YAML::Node w = node["when"]) {
            parseGuard(w, probe);
        }
        return probe;
    }

    void parseShell(const YAML::Node &node, Probe &probe, const YAML::Node &command)
    {
        probe.command = expandShell(command, QStringLiteral("command"));
        if (probe.command.trimmed().isEmpty()) {
            fail(command, QStringLiteral("the command of probe \"%1\" is empty").arg(probe.id));
        }
        if (node["expect_exit"]) {
            probe.expectExit = integer(node["expect_exit"], QStringLiteral("expect_exit"), 0, 255);
        }
        if (node["expect_stdout"]) {
            probe.expectStdout = scalar(node["expect_stdout"], QStringLiteral("expect_stdout"));
            const QRegularExpression re(probe.expectStdout);
            if (!re.isValid()) {
                fail(node["expect_stdout"],
                    QStringLiteral("expect_stdout is not a valid regular expression: %1").arg(re.errorString()));
            }
        }
    }

    void parseGuard(const YAML::Node &w, Probe &probe)
    {
        if (!w.IsMap()) {
            fail(w, QStringLiteral("when must be a mapping, e.g. {tool: docker} or {passed: dns-a}"));
        }
        checkKeys(w, { QStringLiteral("tool"), QStringLiteral("passed") }, QStringLiteral("when"));
        if (w["tool"]) {
            probe.when.tool = scalar(w["tool"], QStringLiteral("tool"));
            static const QRegularExpression tool(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$"));
            if (!tool.match(probe.when.tool).hasMatch()) {
                fail(w["tool"], QStringLiteral("\"%1\" is not a program name").arg(probe.when.tool));
            }
        }
        if (w["passed"]) {
            probe.when.probePassed = scalar(w["passed"], QStringLiteral("passed"));
            const bool earlier = std::any_of(m_plan.probes.cbegin(), m_plan.probes.cend(), [&](const Probe &p) {
                return p.id == probe.when.probePassed;
            });
            if (!earlier) {
                fail(w["passed"],
                    QStringLiteral("when.passed names \"%1\", which is not a probe defined above this one")
                        .arg(probe.when.probePassed));
            }
        }
    }

    static QString kindNames()
    {
        QStringList names;
        for (const KindInfo &k : kinds()) {
            names << QLatin1String(k.name);
        }
        return names.join(QStringLiteral(", "));
    }

    QMap<QString, QString> m_overrides;
    Plan m_plan;
};

} // namespace

bool isValidInstanceName(const QString &name)
{
    // One rule for plans and for the transport that runs `lxc exec NAME`.
    return InstanceTransport::isValidInstanceName(name);
}

bool isValidHost(const QString &host)
{
    // No scope ids (fe80::1%eth0) and no blanks: QHostAddress would accept " 10.0.0.1" and any
    // text after '%', and a host must read as one plain word everywhere it is shown.
    if (host.isEmpty() || host.size() > 253 || host.contains(QLatin1Char('%'))
        || std::any_of(host.cbegin(), host.cend(), [](QChar c) {
               return c.isSpace();
           })) {
        return false;
    }
    QHostAddress address;
    if (address.setAddress(host)) {
        return true;
    }
    static const QRegularExpression dns(
        QStringLiteral("^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(\\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*\\.?$"));
    return dns.match(host).hasMatch();
}

bool Plan::expectsPass(const QString &probeId, const QString &target) const
{
    bool pass = true;
    // The last matching expectation wins, so a general rule can be refined below it.
    for (const Expectation &e : expectations) {
        if (globMatches(e.probe, probeId) && globMatches(e.target, target)) {
            pass = e.pass;
        }
    }
    return pass;
}

Result<QStringList> resolveTargets(
    const QStringList &specs, const QStringList &instances, const QStringList &runningInstances)
{
    QStringList out;
    auto add = [&out](const QString &name) {
        if (!out.contains(name)) {
            out << name;
        }
    };
    for (const QString &spec : specs) {
        if (spec == QLatin1String("runner")) {
            add(spec);
        } else if (spec == QLatin1String("all")) {
            for (const QString &name : runningInstances) {
                add(name);
            }
        } else if (spec.contains(QLatin1Char('*')) || spec.contains(QLatin1Char('?'))
            || spec.contains(QLatin1Char('['))) {
            for (const QString &name : runningInstances) {
                if (globMatches(spec, name)) {
                    add(name);
                }
            }
        } else if (instances.contains(spec)) {
            add(spec);
        } else {
            return Error { QStringLiteral("target \"%1\" is not an instance on this runner; instances: %2")
                               .arg(spec,
                                   instances.isEmpty() ? QStringLiteral("none") : instances.join(QStringLiteral(", "))),
                QString() };
        }
    }
    return out;
}

Result<Plan> parsePlan(const QByteArray &text, const QString &fileName, const QMap<QString, QString> &overrides)
{
    const QString file = fileName.isEmpty() ? QStringLiteral("<plan>") : fileName;
    if (text.size() > kMaxPlanBytes) {
        return planTooLarge(text, text.size(), file);
    }
    try {
        const std::string yaml = text.toStdString();
        StrictYamlCheck::run(yaml);
        const YAML::Node root = YAML::Load(yaml);
        if (!root || root.IsNull()) {
            return Error { QStringLiteral("the plan is empty; it needs at least a \"probes:\" list"), file, 1, 1 };
        }
        Plan plan = Parser(overrides).parse(root);
        plan.sourceFile = fileName;
        plan.sourceText = text;
        if (plan.name.isEmpty()) {
            plan.name = fileName.isEmpty() ? QStringLiteral("Untitled plan") : fileName.section(QLatin1Char('/'), -1);
        }
        return plan;
    } catch (const PlanError &e) {
        return Error { e.message, file, e.mark.line + 1, e.mark.column + 1 };
    } catch (const YAML::DeepRecursion &e) {
        // yaml-cpp stops at 500 levels but calls it "bad file"; say what it means.
        return Error { QStringLiteral(
                           "the plan nests lists or mappings more than %1 levels deep; a plan needs at most 4")
                           .arg(e.depth()),
            file, e.mark.line + 1, e.mark.column + 1 };
    } catch (const YAML::Exception &e) {
        // yaml-cpp's own message repeats the position; keep only what comes after it.
        return Error { QStringLiteral("YAML syntax error: %1").arg(qs(e.msg)), file, e.mark.line + 1,
            e.mark.column + 1 };
    }
}

Result<Plan> loadPlanFile(const QString &path, const QMap<QString, QString> &overrides)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return Error { QStringLiteral("cannot read the plan: %1").arg(f.errorString()), path };
    }
    // Never more than one byte past the limit in memory, also from a pipe that does not say its size.
    QByteArray text;
    while (text.size() <= kMaxPlanBytes) {
        const QByteArray chunk = f.read(kMaxPlanBytes + 1 - text.size());
        if (chunk.isEmpty()) {
            break;
        }
        text += chunk;
    }
    if (f.error() != QFileDevice::NoError) {
        return Error { QStringLiteral("cannot read the plan: %1").arg(f.errorString()), path };
    }
    if (text.size() > kMaxPlanBytes) {
        return planTooLarge(text, f.isSequential() ? -1 : f.size(), path);
    }
    return parsePlan(text, path, overrides);
}

QStringList planTopLevelKeys()
{
    return { QStringLiteral("name"), QStringLiteral("description"), QStringLiteral("variables"),
        QStringLiteral("defaults"), QStringLiteral("targets"), QStringLiteral("probes"), QStringLiteral("expect") };
}

QStringList builtinPlanNames()
{
    QStringList names;
    const auto files = QDir(QStringLiteral(":/plans")).entryList({ QStringLiteral("*.yaml") }, QDir::Files, QDir::Name);
    for (const QString &f : files) {
        names << f.chopped(5);
    }
    return names;
}

Result<Plan> loadPlan(const QString &spec, const QMap<QString, QString> &overrides)
{
    static const QLatin1String prefix("builtin:");
    if (!spec.startsWith(prefix)) {
        return loadPlanFile(spec, overrides);
    }
    const QString name = spec.mid(prefix.size());
    if (!builtinPlanNames().contains(name)) {
        return Error { QStringLiteral("there is no built-in plan \"%1\"; built-in plans: %2")
                           .arg(name, builtinPlanNames().join(QStringLiteral(", "))),
            QString() };
    }
    auto plan = loadPlanFile(QStringLiteral(":/plans/%1.yaml").arg(name), overrides);
    if (plan) {
        plan.value().sourceFile = spec;
    }
    return plan;
}

Family probeFamily(const Probe &probe)
{
    if (probe.family != Family::Any || probe.kind != ProbeKind::Fact) {
        return probe.family;
    }
    switch (probe.fact) {
    case FactKind::Ipv4Address:
    case FactKind::Ipv4DefaultRoute:
        return Family::IPv4;
    case FactKind::Ipv6Address:
    case FactKind::Ipv6DefaultRoute:
    case FactKind::Ipv6Enabled:
        return Family::IPv6;
    case FactKind::Resolver:
        break;
    }
    return Family::Any;
}

QHash<QString, Family> probeFamilies(const Plan &plan)
{
    QHash<QString, Family> families;
    for (const Probe &p : plan.probes) {
        families.insert(p.id, probeFamily(p));
    }
    return families;
}

} // namespace nestscope
