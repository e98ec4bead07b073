#include "instances.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace nestscope {

QString instanceListCommand()
{
    return QStringLiteral("if command -v lxc >/dev/null 2>&1; then lxc query '/1.0/instances?recursion=1'; "
                          "elif command -v incus >/dev/null 2>&1; then incus query '/1.0/instances?recursion=1'; "
                          "else echo '[]'; echo 'nestscope: neither lxc nor incus is installed on the runner' >&2; fi");
}

Result<QList<InstanceInfo>> parseInstanceList(const QByteArray &json)
{
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &perr);
    if (perr.error != QJsonParseError::NoError || !doc.isArray()) {
        return Error {
            QStringLiteral("the instance list is not the JSON array `lxc query /1.0/instances?recursion=1` prints "
                           "(%1); got: %2")
                .arg(perr.error != QJsonParseError::NoError ? perr.errorString() : QStringLiteral("not an array"),
                    QString::fromUtf8(json.left(120)).simplified()),
            QString()
        };
    }
    QList<InstanceInfo> list;
    for (const QJsonValue &v : doc.array()) {
        const QJsonObject o = v.toObject();
        InstanceInfo info { o.value(QStringLiteral("name")).toString(), o.value(QStringLiteral("status")).toString(),
            o.value(QStringLiteral("type")).toString() };
        if (info.name.isEmpty()) {
            return Error { QStringLiteral("an entry of the instance list has no name"), QString() };
        }
        list << info;
    }
    return list;
}

} // namespace nestscope
