#include "sshconfig.h"

#include "sshoptions.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTextStream>

#include <pwd.h>
#include <unistd.h>

namespace nestscope {

namespace {

QStringList splitArguments(const QString &text)
{
    // ssh_config allows "key value", "key=value" and double-quoted arguments.
    QStringList words;
    QString current;
    bool quoted = false;
    bool inWord = false;
    for (const QChar c : text) {
        if (c == QLatin1Char('"')) {
            quoted = !quoted;
            inWord = true;
        } else if (!quoted && c.isSpace()) {
            if (inWord) {
                words << current;
                current.clear();
                inWord = false;
            }
        } else {
            current += c;
            inWord = true;
        }
    }
    if (inWord) {
        words << current;
    }
    return words;
}

QString expandTokens(QString value, const QString &host, const QString &remoteUser)
{
    if (value.startsWith(QLatin1Char('~'))) {
        value = QDir::homePath() + value.mid(1);
    }
    QString out;
    for (qsizetype i = 0; i < value.size(); ++i) {
        if (value.at(i) != QLatin1Char('%') || i + 1 >= value.size()) {
            out += value.at(i);
            continue;
        }
        const QChar t = value.at(++i);
        if (t == QLatin1Char('%')) {
            out += QLatin1Char('%');
        } else if (t == QLatin1Char('d')) {
            out += QDir::homePath();
        } else if (t == QLatin1Char('u')) {
            out += localUser();
        } else if (t == QLatin1Char('h')) {
            out += host;
        } else if (t == QLatin1Char('r')) {
            out += remoteUser;
        } else {
            out += QLatin1Char('%');
            out += t;
        }
    }
    return out;
}

} // namespace

QString localUser()
{
    if (const passwd *pw = ::getpwuid(::getuid())) {
        return QString::fromLocal8Bit(pw->pw_name);
    }
    return qEnvironmentVariable("USER");
}

QString SshConfigFile::defaultPath()
{
    return QDir::homePath() + QStringLiteral("/.ssh/config");
}

SshConfigFile SshConfigFile::load(const QString &path)
{
    SshConfigFile config;
    config.m_blocks.append(Block {});
    config.parseFile(path, 0);
    return config;
}

void SshConfigFile::parseFile(const QString &path, int depth)
{
    if (depth > 8) {
        return; // an Include loop; OpenSSH stops at 16
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        return;
    }
    QTextStream in(&file);
    while (!in.atEnd()) {
        const QString line = in.readLine().trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#'))) {
            continue;
        }
        static const QRegularExpression keyRe(QStringLiteral("^([A-Za-z]+)\\s*(?:=\\s*|\\s+)(.*)$"));
        const auto m = keyRe.match(line);
        if (!m.hasMatch()) {
            continue;
        }
        const QString key = m.captured(1).toLower();
        const QStringList args = splitArguments(m.captured(2));
        if (args.isEmpty()) {
            continue;
        }
        if (key == QLatin1String("host")) {
            m_blocks.append(Block { args, false, {} });
        } else if (key == QLatin1String("match")) {
            m_blocks.append(Block { {}, true, {} });
        } else if (key == QLatin1String("include")) {
            for (const QString &arg : args) {
                QString pattern = expandTokens(arg, QString(), QString());
                if (QDir::isRelativePath(pattern)) {
                    pattern = QDir::homePath() + QStringLiteral("/.ssh/") + pattern;
                }
                const QFileInfo fi(pattern);
                const QStringList files = QDir(fi.path()).entryList({ fi.fileName() }, QDir::Files, QDir::Name);
                for (const QString &f : files) {
                    parseFile(fi.path() + QLatin1Char('/') + f, depth + 1);
                }
            }
        } else {
            m_blocks.last().options.append(Option { key, args.join(QLatin1Char(' ')) });
        }
    }
}

bool SshConfigFile::matches(const QStringList &patterns, const QString &host)
{
    bool any = false;
    for (const QString &p : patterns) {
        const bool negated = p.startsWith(QLatin1Char('!'));
        const QString glob = negated ? p.mid(1) : p;
        const QRegularExpression re(
            QRegularExpression::wildcardToRegularExpression(glob, QRegularExpression::UnanchoredWildcardConversion),
            QRegularExpression::CaseInsensitiveOption);
        const auto m = re.match(host);
        const bool hit = m.hasMatch() && m.capturedLength() == host.size() && m.capturedStart() == 0;
        if (hit && negated) {
            return false;
        }
        any = any || (hit && !negated);
    }
    return any;
}

QStringList SshConfigFile::hostAliases() const
{
    QStringList aliases;
    for (const Block &b : m_blocks) {
        for (const QString &p : b.patterns) {
            if (!p.contains(QLatin1Char('*')) && !p.contains(QLatin1Char('?')) && !p.startsWith(QLatin1Char('!'))
                && !aliases.contains(p)) {
                aliases << p;
            }
        }
    }
    return aliases;
}

SshHostConfig SshConfigFile::lookup(const QString &host) const
{
    SshHostConfig c;
    QStringList rawIdentities;
    for (const Block &b : m_blocks) {
        if (b.isMatch || (!b.patterns.isEmpty() && !matches(b.patterns, host))) {
            continue;
        }
        for (const Option &o : b.options) {
            if (o.key == QLatin1String("hostname") && c.hostName.isEmpty()) {
                c.hostName = o.value;
            } else if (o.key == QLatin1String("user") && c.user.isEmpty()) {
                c.user = o.value;
            } else if (o.key == QLatin1String("port") && c.port == 0) {
                c.port = o.value.toInt();
            } else if (o.key == QLatin1String("identityfile")) {
                rawIdentities << o.value;
            } else if (o.key == QLatin1String("proxyjump") && c.proxyJump.isEmpty()) {
                c.proxyJump = o.value;
            } else if (o.key == QLatin1String("connecttimeout") && c.connectTimeout == 0) {
                c.connectTimeout = o.value.toInt();
            }
        }
    }
    const QString hostName = c.hostName.isEmpty() ? host : c.hostName.replace(QStringLiteral("%h"), host);
    const QString user = c.user.isEmpty() ? localUser() : c.user;
    for (const QString &raw : std::as_const(rawIdentities)) {
        c.identityFiles << expandTokens(raw, hostName, user);
    }
    return c;
}

SshTarget SshTarget::fromSpec(const QString &spec)
{
    SshTarget t;
    QString rest = spec.trimmed();
    if (rest.startsWith(QLatin1String("ssh://"))) {
        rest = rest.mid(6);
    }
    const qsizetype at = rest.lastIndexOf(QLatin1Char('@'));
    if (at >= 0) {
        t.user = rest.left(at);
        rest = rest.mid(at + 1);
    }
    if (rest.startsWith(QLatin1Char('['))) {
        const qsizetype close = rest.indexOf(QLatin1Char(']'));
        t.host = rest.mid(1, close - 1);
        if (close > 0 && rest.mid(close + 1).startsWith(QLatin1Char(':'))) {
            t.port = rest.mid(close + 2).toInt();
        }
    } else if (rest.count(QLatin1Char(':')) == 1) {
        t.host = rest.section(QLatin1Char(':'), 0, 0);
        t.port = rest.section(QLatin1Char(':'), 1, 1).toInt();
    } else {
        t.host = rest; // a name, or a bare IPv6 address
    }
    return t;
}

} // namespace nestscope
