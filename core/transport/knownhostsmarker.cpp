#include "knownhostsmarker.h"

#include <QCryptographicHash>
#include <QFile>
#include <QMessageAuthenticationCode>

namespace nestscope::detail {

namespace {

/// A glob with `*` (any run, also empty) and `?` (one character), as OpenSSH's match_pattern().
bool globMatches(const char *text, const char *pattern)
{
    for (;;) {
        if (*pattern == '\0') {
            return *text == '\0';
        }
        if (*pattern == '*') {
            while (*pattern == '*') {
                ++pattern;
            }
            if (*pattern == '\0') {
                return true;
            }
            for (; *text != '\0'; ++text) {
                if (globMatches(text, pattern)) {
                    return true;
                }
            }
            return false;
        }
        if (*text == '\0' || (*pattern != '?' && *pattern != *text)) {
            return false;
        }
        ++text;
        ++pattern;
    }
}

} // namespace

bool KnownHostsMarker::hostFieldMatches(const QByteArray &field, const QByteArray &host)
{
    if (field.startsWith("|1|")) {
        // HashKnownHosts: |1|base64(salt)|base64(HMAC-SHA1(salt, host)), one name per field.
        const QList<QByteArray> parts = field.split('|');
        if (parts.size() != 4) {
            return false;
        }
        const QByteArray salt = QByteArray::fromBase64(parts.at(2));
        return QMessageAuthenticationCode::hash(host, salt, QCryptographicHash::Sha1)
            == QByteArray::fromBase64(parts.at(3));
    }
    const QByteArray name = host.toLower();
    bool matched = false;
    for (QByteArray pattern : field.toLower().split(',')) {
        const bool negated = pattern.startsWith('!');
        if (negated) {
            pattern.remove(0, 1);
        }
        if (pattern.isEmpty() || !globMatches(name.constData(), pattern.constData())) {
            continue;
        }
        if (negated) {
            return false; // a negated match rules the line out, whatever else matches
        }
        matched = true;
    }
    return matched;
}

QList<KnownHostsMarker> KnownHostsMarker::find(const QString &file, const QString &host)
{
    QList<KnownHostsMarker> found;
    QFile in(file);
    if (file.isEmpty() || !in.open(QIODevice::ReadOnly)) {
        return found;
    }
    const QByteArray hostName = host.toUtf8();
    int number = 0;
    while (!in.atEnd()) {
        const QByteArray line = in.readLine();
        ++number;
        const QByteArray trimmed = line.trimmed();
        if (!trimmed.startsWith('@')) {
            continue;
        }
        // "@marker hosts keytype base64 [comment]", separated by spaces or tabs.
        const QList<QByteArray> fields = trimmed.simplified().split(' ');
        if (fields.size() < 4) {
            continue;
        }
        KnownHostsMarker m;
        if (fields.at(0) == "@revoked") {
            m.kind = Kind::Revoked;
        } else if (fields.at(0) == "@cert-authority") {
            m.kind = Kind::CertAuthority;
        } else {
            continue;
        }
        if (!hostFieldMatches(fields.at(1), hostName)) {
            continue;
        }
        m.file = file;
        m.line = number;
        m.text = QString::fromUtf8(trimmed);
        m.keyType = QString::fromLatin1(fields.at(2));
        m.keyBlob = QByteArray::fromBase64(fields.at(3));
        found << m;
    }
    return found;
}

} // namespace nestscope::detail
