#include "parsers.h"

#include "topology/jsonview.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>
#include <QRegularExpression>
#include <QThread>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <optional>

namespace nestscope::topoparse {

namespace {

template <class V> QString typeName(const V &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return QStringLiteral("a boolean");
    case QJsonValue::Double:
        return QStringLiteral("a number");
    case QJsonValue::String:
        return QStringLiteral("a string");
    case QJsonValue::Array:
        return QStringLiteral("an array");
    case QJsonValue::Object:
        return QStringLiteral("an object");
    case QJsonValue::Undefined:
        break;
    }
    return QStringLiteral("nothing");
}

QString excerpt(const QByteArray &data)
{
    QString text = QString::fromUtf8(data.left(80)).simplified();
    if (data.size() > 80) {
        text += QStringLiteral("...");
    }
    return text.isEmpty() ? QStringLiteral("(empty)") : text;
}

struct QtJson {
    using Value = QJsonValue;
    using Object = QJsonObject;
    using Array = QJsonArray;
};
struct SimdJson {
    using Value = jsonview::Value;
    using Object = jsonview::Object;
    using Array = jsonview::Array;
};

/// Reads one JSON document and remembers the first shape error, with the JSON path where it was.
/// Missing and null fields read as empty: versions differ in what they send. J is the JSON
/// flavour: QJsonValue and friends (QtJson), or the look-alikes over simdjson's DOM (SimdJson) for
/// the big sections, with the same answers wherever jsonview::Document takes the input.
template <class J> class ReaderT {
public:
    using V = typename J::Value;
    using O = typename J::Object;
    using A = typename J::Array;

    explicit ReaderT(QString source)
        : m_source(std::move(source))
    {
    }

    void fail(const QString &path, const QString &message)
    {
        if (!m_error) {
            m_error
                = Error { QStringLiteral("at %1: %2").arg(path.isEmpty() ? QStringLiteral("the top") : path, message),
                      m_source };
        }
    }
    void expectType(const QString &path, const V &v, const QString &expected)
    {
        fail(path, QStringLiteral("expected %1, got %2").arg(expected, typeName(v)));
    }
    bool failed() const { return m_error.has_value(); }
    const Error &error() const { return *m_error; }

    QString string(const O &o, QLatin1StringView key, const QString &path)
    {
        const V v = o.value(key);
        if (v.isUndefined() || v.isNull()) {
            return {};
        }
        if (!v.isString()) {
            expectType(path + QLatin1Char('.') + key, v, QStringLiteral("a string"));
            return {};
        }
        return v.toString();
    }
    /// A number, or a string of digits (LXD's config values and some versions' netmask are strings).
    int integer(const O &o, QLatin1StringView key, const QString &path)
    {
        const V v = o.value(key);
        if (v.isUndefined() || v.isNull()) {
            return 0;
        }
        if (v.isDouble()) {
            const double d = v.toDouble();
            if (d >= -2147483648.0 && d <= 2147483647.0) {
                return static_cast<int>(d);
            }
            fail(path + QLatin1Char('.') + key, QStringLiteral("the number is out of range"));
            return 0;
        }
        if (v.isString()) {
            bool ok = false;
            const int n = v.toString().trimmed().toInt(&ok);
            if (ok || v.toString().isEmpty()) {
                return n;
            }
        }
        expectType(path + QLatin1Char('.') + key, v, QStringLiteral("a number"));
        return 0;
    }
    bool boolean(const O &o, QLatin1StringView key, const QString &path)
    {
        const V v = o.value(key);
        if (v.isUndefined() || v.isNull()) {
            return false;
        }
        if (!v.isBool()) {
            expectType(path + QLatin1Char('.') + key, v, QStringLiteral("true or false"));
            return false;
        }
        return v.toBool();
    }
    O object(const O &o, QLatin1StringView key, const QString &path)
    {
        return asObject(o.value(key), path + QLatin1Char('.') + key);
    }
    A array(const O &o, QLatin1StringView key, const QString &path)
    {
        const V v = o.value(key);
        if (v.isUndefined() || v.isNull()) {
            return {};
        }
        if (!v.isArray()) {
            expectType(path + QLatin1Char('.') + key, v, QStringLiteral("an array"));
            return {};
        }
        return v.toArray();
    }
    O asObject(const V &v, const QString &path)
    {
        if (v.isUndefined() || v.isNull()) {
            return {};
        }
        if (!v.isObject()) {
            expectType(path, v, QStringLiteral("an object"));
            return {};
        }
        return v.toObject();
    }
    /// A map of strings (LXD config); scalars of other types are kept as their text.
    QMap<QString, QString> stringMap(const O &o, QLatin1StringView key, const QString &path)
    {
        QMap<QString, QString> map;
        const O m = object(o, key, path);
        for (auto it = m.begin(); it != m.end(); ++it) {
            const V v = it.value();
            if (v.isString()) {
                map.insert(it.key(), v.toString());
            } else if (v.isBool()) {
                map.insert(it.key(), v.toBool() ? QStringLiteral("true") : QStringLiteral("false"));
            } else if (v.isDouble()) {
                map.insert(it.key(), QString::number(v.toDouble(), 'g', 17));
            } else if (!v.isNull()) {
                expectType(path + QLatin1Char('.') + key + QLatin1Char('.') + it.key(), v, QStringLiteral("a string"));
            }
        }
        return map;
    }

    /// Parses (QtJson only); on a syntax error fails with the line and column of the offset Qt reports.
    std::optional<QJsonDocument> parse(const QByteArray &data, QJsonValue::Type expected)
    {
        QJsonParseError perr;
        const QJsonDocument doc = QJsonDocument::fromJson(data, &perr);
        if (perr.error != QJsonParseError::NoError) {
            int line = 1;
            int column = 1;
            const qsizetype end = std::min<qsizetype>(perr.offset, data.size());
            for (qsizetype i = 0; i < end; ++i) {
                if (data.at(i) == '\n') {
                    ++line;
                    column = 1;
                } else {
                    ++column;
                }
            }
            m_error = Error { QStringLiteral("not valid JSON (%1), expected %2; the input starts: %3")
                                  .arg(perr.errorString(), typeName(expectedValue(expected)), excerpt(data)),
                m_source, line, column };
            return std::nullopt;
        }
        const bool shapeOk = expected == QJsonValue::Array ? doc.isArray() : doc.isObject();
        if (!shapeOk) {
            m_error = Error {
                QStringLiteral("expected %1 at the top, got %2")
                    .arg(typeName(expectedValue(expected)),
                        doc.isArray() ? QStringLiteral("an array")
                                      : (doc.isObject() ? QStringLiteral("an object") : QStringLiteral("a scalar"))),
                m_source
            };
            return std::nullopt;
        }
        return doc;
    }

private:
    static QJsonValue expectedValue(QJsonValue::Type t)
    {
        return t == QJsonValue::Array ? QJsonValue(QJsonArray()) : QJsonValue(QJsonObject());
    }

    QString m_source;
    std::optional<Error> m_error;
};

using Reader = ReaderT<QtJson>;

QString index(const QString &path, qsizetype i)
{
    return path + QLatin1Char('[') + QString::number(i) + QLatin1Char(']');
}

TopoAddress::Family familyOf(const QString &text, bool *known)
{
    *known = true;
    if (text == QLatin1String("inet")) {
        return TopoAddress::Family::IPv4;
    }
    if (text == QLatin1String("inet6")) {
        return TopoAddress::Family::IPv6;
    }
    *known = false;
    return TopoAddress::Family::IPv4;
}

QString compactJson(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
}

} // namespace

// ---- LXD / Incus ----------------------------------------------------------------------------

Result<LxdServer> parseLxdServer(const QByteArray &json)
{
    Reader r(QStringLiteral("lxc query /1.0"));
    const auto doc = r.parse(json, QJsonValue::Object);
    if (!doc) {
        return r.error();
    }
    const QJsonObject top = doc->object();
    // `lxc query` prints the metadata; a raw API response wraps it in {"metadata": ...}.
    const QJsonObject o = top.contains(QLatin1String("metadata")) && top.value(QLatin1String("metadata")).isObject()
        ? top.value(QLatin1String("metadata")).toObject()
        : top;
    if (!o.contains(QLatin1String("api_version")) && !o.contains(QLatin1String("environment"))) {
        r.fail(QString(), QStringLiteral("expected the server object (api_version, environment), got neither"));
    }
    const QJsonObject env = r.object(o, QLatin1StringView("environment"), QString());
    LxdServer s;
    s.server = r.string(env, QLatin1StringView("server"), QStringLiteral("environment"));
    s.version = r.string(env, QLatin1StringView("server_version"), QStringLiteral("environment"));
    s.firewallDriver = r.string(env, QLatin1StringView("firewall"), QStringLiteral("environment"));
    if (r.failed()) {
        return r.error();
    }
    return s;
}

Result<QList<TopoNetwork>> parseLxdNetworks(const QByteArray &json)
{
    Reader r(QStringLiteral("lxc query /1.0/networks?recursion=1"));
    const auto doc = r.parse(json, QJsonValue::Array);
    if (!doc) {
        return r.error();
    }
    QList<TopoNetwork> networks;
    const QJsonArray list = doc->array();
    for (qsizetype i = 0; i < list.size() && !r.failed(); ++i) {
        const QString path = index(QString(), i);
        if (list.at(i).isString()) {
            r.fail(path,
                QStringLiteral("expected a network object, got a URL (was the query made without ?recursion=1?)"));
            break;
        }
        const QJsonObject o = r.asObject(list.at(i), path);
        TopoNetwork n;
        n.name = r.string(o, QLatin1StringView("name"), path);
        if (n.name.isEmpty() && !r.failed()) {
            r.fail(path, QStringLiteral("expected a network with a name"));
        }
        n.type = r.string(o, QLatin1StringView("type"), path);
        n.managed = r.boolean(o, QLatin1StringView("managed"), path);
        n.status = r.string(o, QLatin1StringView("status"), path);
        n.config = r.stringMap(o, QLatin1StringView("config"), path);
        for (const QJsonValue &u : r.array(o, QLatin1StringView("used_by"), path)) {
            if (u.isString()) {
                n.usedBy << u.toString();
            }
        }
        n.rawJson = compactJson(o);
        networks << n;
    }
    if (r.failed()) {
        return r.error();
    }
    return networks;
}

namespace {

template <class J> QList<TopoAddress> lxdAddresses(ReaderT<J> &r, const typename J::Object &state, const QString &path)
{
    QList<TopoAddress> out;
    const typename J::Array list = r.array(state, QLatin1StringView("addresses"), path);
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QString p = index(path + QStringLiteral(".addresses"), i);
        const typename J::Object a = r.asObject(list.at(i), p);
        bool known = false;
        TopoAddress addr;
        addr.family = familyOf(r.string(a, QLatin1StringView("family"), p), &known);
        addr.address = r.string(a, QLatin1StringView("address"), p);
        addr.prefixLength = r.integer(a, QLatin1StringView("netmask"), p);
        addr.scope = r.string(a, QLatin1StringView("scope"), p);
        if (known && !addr.address.isEmpty()) {
            out << addr;
        }
    }
    return out;
}

} // namespace

namespace {

/// The body of parseLxdInstances(), on either JSON flavour; rawJson(object) gives the inspector's
/// text of an instance object without its bulky parts.
template <class J, class RawJson>
Result<QList<TopoInstance>> instancesFrom(
    ReaderT<J> &r, const typename J::Array &list, const RawJson &rawJson, qsizetype begin = 0, qsizetype end = -1)
{
    using O = typename J::Object;
    end = end < 0 ? list.size() : end;
    QList<TopoInstance> instances;
    instances.reserve(end - begin);
    for (qsizetype i = begin; i < end && !r.failed(); ++i) {
        const QString path = index(QString(), i);
        if (list.at(i).isString()) {
            r.fail(path,
                QStringLiteral("expected an instance object, got a URL (was the query made without "
                               "?recursion=2?)"));
            break;
        }
        const O o = r.asObject(list.at(i), path);
        TopoInstance inst;
        inst.name = r.string(o, QLatin1StringView("name"), path);
        if (inst.name.isEmpty() && !r.failed()) {
            r.fail(path, QStringLiteral("expected an instance with a name"));
        }
        inst.type = r.string(o, QLatin1StringView("type"), path);
        inst.status = r.string(o, QLatin1StringView("status"), path);
        const QMap<QString, QString> config = r.stringMap(o, QLatin1StringView("expanded_config"), path);
        for (auto c = config.cbegin(); c != config.cend(); ++c) {
            if (c.key().startsWith(QLatin1String("environment."))) {
                inst.environment.insert(c.key().mid(12), maskProxyCredentials(c.value()));
            }
        }
        const O devices = o.contains(QLatin1String("expanded_devices"))
            ? r.object(o, QLatin1StringView("expanded_devices"), path)
            : r.object(o, QLatin1StringView("devices"), path);
        const O state = r.object(o, QLatin1StringView("state"), path);
        const O stateNet = r.object(state, QLatin1StringView("network"), path + QStringLiteral(".state"));
        if (inst.status.isEmpty()) {
            inst.status = r.string(state, QLatin1StringView("status"), path + QStringLiteral(".state"));
        }

        QStringList usedStateNames;
        auto fillFromState = [&](TopoNic &nic, const QString &stateName) {
            const QString p = path + QStringLiteral(".state.network.") + stateName;
            const O s = r.asObject(stateNet.value(stateName), p);
            usedStateNames << stateName;
            if (nic.hostName.isEmpty()) {
                nic.hostName = r.string(s, QLatin1StringView("host_name"), p);
            } else {
                r.string(s, QLatin1StringView("host_name"), p); // type check only
            }
            const QString mac = r.string(s, QLatin1StringView("hwaddr"), p);
            if (!mac.isEmpty()) {
                nic.hwaddr = mac;
            }
            const int mtu = r.integer(s, QLatin1StringView("mtu"), p);
            if (mtu > 0) {
                nic.mtu = mtu;
            }
            nic.state = r.string(s, QLatin1StringView("state"), p);
            nic.addresses = lxdAddresses(r, s, p);
        };

        for (auto it = devices.begin(); it != devices.end(); ++it) {
            const QString p = path + QStringLiteral(".devices.") + it.key();
            const O d = r.asObject(it.value(), p);
            if (r.string(d, QLatin1StringView("type"), p) != QLatin1String("nic")) {
                continue;
            }
            TopoNic nic;
            nic.device = it.key();
            nic.network = r.string(d, QLatin1StringView("network"), p);
            if (nic.network.isEmpty()) {
                nic.network = r.string(d, QLatin1StringView("parent"), p);
            }
            nic.nicType = r.string(d, QLatin1StringView("nictype"), p);
            nic.mtu = r.integer(d, QLatin1StringView("mtu"), p);
            const QString volatilePrefix = QStringLiteral("volatile.") + it.key() + QLatin1Char('.');
            nic.hwaddr = r.string(d, QLatin1StringView("hwaddr"), p);
            if (nic.hwaddr.isEmpty()) {
                nic.hwaddr = config.value(volatilePrefix + QStringLiteral("hwaddr"));
            }
            nic.hostName = r.string(d, QLatin1StringView("host_name"), p);
            if (nic.hostName.isEmpty()) {
                nic.hostName = config.value(volatilePrefix + QStringLiteral("host_name"));
            }
            // Inside a container the interface has the device's "name" (default: the device
            // name); a VM's guest names it itself (enp5s0), so fall back to the MAC address.
            QString stateName = r.string(d, QLatin1StringView("name"), p);
            if (stateName.isEmpty()) {
                stateName = it.key();
            }
            if (!stateNet.contains(stateName)) {
                stateName.clear();
                for (auto s = stateNet.begin(); s != stateNet.end(); ++s) {
                    if (!nic.hwaddr.isEmpty() && s.value().isObject()
                        && s.value()
                                .toObject()
                                .value(QLatin1String("hwaddr"))
                                .toString()
                                .compare(nic.hwaddr, Qt::CaseInsensitive)
                            == 0) {
                        stateName = s.key();
                        break;
                    }
                }
            }
            if (!stateName.isEmpty()) {
                fillFromState(nic, stateName);
            }
            inst.nics << nic;
        }
        // A NIC with no device (an instance whose guest added its own) still has addresses.
        for (auto s = stateNet.begin(); s != stateNet.end(); ++s) {
            if (usedStateNames.contains(s.key()) || !s.value().isObject()) {
                continue;
            }
            const O so = s.value().toObject();
            if (so.value(QLatin1String("type")).toString() == QLatin1String("loopback")
                || s.key() == QLatin1String("lo") || so.value(QLatin1String("host_name")).toString().isEmpty()) {
                continue;
            }
            TopoNic nic;
            nic.device = s.key();
            fillFromState(nic, s.key());
            inst.nics << nic;
        }

        inst.rawJson = rawJson(o);
        instances << inst;
    }
    if (r.failed()) {
        return r.error();
    }
    return instances;
}

} // namespace

Result<QList<TopoInstance>> parseLxdInstances(const QByteArray &json)
{
    const QString source = QStringLiteral("lxc query /1.0/instances?recursion=2");
    // simdjson takes what LXD prints; on anything it leaves alone, or any shape error,
    // QJsonDocument reads it again so results and errors are exactly what they always were.
    {
        jsonview::Document doc;
        if (doc.parse(json) && doc.root().isArray()) {
            const jsonview::Array list = doc.root().toArray();
            const auto rawJson = [](const jsonview::Object &o) {
                return QString::fromUtf8(jsonview::indentedJson(
                    o, { QLatin1StringView("state"), QLatin1StringView("snapshots"), QLatin1StringView("backups") }));
            };
            const auto chunk = [&](qsizetype begin, qsizetype end) {
                ReaderT<SimdJson> r(source);
                return instancesFrom(r, list, rawJson, begin, end);
            };
            // Thousands of instances: the document is read-only now, so its objects are read in
            // slices on the pool, this thread taking the first. Should the pool be busy, waiting
            // runs a slice that has not started here, so this never waits on itself.
            const qsizetype n = list.size();
            const qsizetype parts = n < 256 ? 1 : std::clamp<qsizetype>(QThread::idealThreadCount(), 1, 8);
            QList<QFuture<Result<QList<TopoInstance>>>> rest;
            for (qsizetype k = 1; k < parts; ++k) {
                rest << QtConcurrent::run(chunk, n * k / parts, n * (k + 1) / parts);
            }
            auto parsed = chunk(0, n / parts);
            bool ok = parsed.ok();
            QList<TopoInstance> instances;
            if (ok) {
                instances = std::move(parsed).value();
                instances.reserve(n);
            }
            for (auto &future : rest) {
                auto part = future.result();
                ok = ok && part.ok();
                if (ok) {
                    instances.append(std::move(part).value());
                }
            }
            if (ok) {
                return instances;
            }
        }
    }
    return parseLxdInstancesWithQJson(json);
}

bool readsThroughSimdjson(const QByteArray &json)
{
    jsonview::Document doc;
    return doc.parse(json);
}

Result<QList<TopoInstance>> parseLxdInstancesWithQJson(const QByteArray &json)
{
    Reader r(QStringLiteral("lxc query /1.0/instances?recursion=2"));
    const auto doc = r.parse(json, QJsonValue::Array);
    if (!doc) {
        return r.error();
    }
    return instancesFrom(r, doc->array(), [](const QJsonObject &o) {
        QJsonObject raw = o;
        raw.remove(QLatin1String("state"));
        raw.remove(QLatin1String("snapshots"));
        raw.remove(QLatin1String("backups"));
        return compactJson(raw);
    });
}

Result<QList<TopoLease>> parseLxdLeases(const QByteArray &json, const QString &network)
{
    Reader r(QStringLiteral("lxc query /1.0/networks/%1/leases").arg(network));
    const auto doc = r.parse(json, QJsonValue::Array);
    if (!doc) {
        return r.error();
    }
    QList<TopoLease> leases;
    const QJsonArray list = doc->array();
    for (qsizetype i = 0; i < list.size() && !r.failed(); ++i) {
        const QString path = index(QString(), i);
        const QJsonObject o = r.asObject(list.at(i), path);
        TopoLease l;
        l.network = network;
        l.hostname = r.string(o, QLatin1StringView("hostname"), path);
        l.hwaddr = r.string(o, QLatin1StringView("hwaddr"), path);
        l.address = r.string(o, QLatin1StringView("address"), path);
        l.type = r.string(o, QLatin1StringView("type"), path);
        if (l.address.isEmpty() && !r.failed()) {
            r.fail(path, QStringLiteral("expected a lease with an address"));
        }
        leases << l;
    }
    if (r.failed()) {
        return r.error();
    }
    return leases;
}

// ---- iproute2 -------------------------------------------------------------------------------

namespace {

template <class J> Result<QList<TopoInterface>> interfacesFrom(ReaderT<J> &r, const typename J::Array &list)
{
    using O = typename J::Object;
    QList<TopoInterface> interfaces;
    interfaces.reserve(list.size());
    for (qsizetype i = 0; i < list.size() && !r.failed(); ++i) {
        const QString path = index(QString(), i);
        const O o = r.asObject(list.at(i), path);
        if (o.isEmpty()) {
            continue; // `ip` prints {} for a link that vanished while it listed
        }
        TopoInterface itf;
        itf.name = r.string(o, QLatin1StringView("ifname"), path);
        if (itf.name.isEmpty() && !r.failed()) {
            r.fail(path, QStringLiteral("expected an interface with an ifname"));
        }
        itf.mtu = r.integer(o, QLatin1StringView("mtu"), path);
        itf.state = r.string(o, QLatin1StringView("operstate"), path);
        itf.mac = r.string(o, QLatin1StringView("address"), path);
        itf.master = r.string(o, QLatin1StringView("master"), path);
        const O linkinfo = r.object(o, QLatin1StringView("linkinfo"), path);
        itf.kind = r.string(linkinfo, QLatin1StringView("info_kind"), path + QStringLiteral(".linkinfo"));
        if (itf.kind.isEmpty()) {
            itf.kind = r.string(o, QLatin1StringView("link_type"), path);
        }
        const typename J::Array addrs = r.array(o, QLatin1StringView("addr_info"), path);
        for (qsizetype j = 0; j < addrs.size(); ++j) {
            const QString p = index(path + QStringLiteral(".addr_info"), j);
            const O a = r.asObject(addrs.at(j), p);
            bool known = false;
            TopoAddress addr;
            addr.family = familyOf(r.string(a, QLatin1StringView("family"), p), &known);
            addr.address = r.string(a, QLatin1StringView("local"), p);
            addr.prefixLength = r.integer(a, QLatin1StringView("prefixlen"), p);
            addr.scope = r.string(a, QLatin1StringView("scope"), p);
            addr.tentative
                = r.boolean(a, QLatin1StringView("tentative"), p) || r.boolean(a, QLatin1StringView("dadfailed"), p);
            if (known && !addr.address.isEmpty()) {
                itf.addresses << addr;
            }
        }
        interfaces << itf;
    }
    if (r.failed()) {
        return r.error();
    }
    return interfaces;
}

} // namespace

Result<QList<TopoInterface>> parseIpAddr(const QByteArray &json)
{
    const QString source = QStringLiteral("ip -j -d addr");
    {
        jsonview::Document doc;
        if (doc.parse(json) && doc.root().isArray()) {
            ReaderT<SimdJson> r(source);
            auto parsed = interfacesFrom(r, doc.root().toArray());
            if (parsed) {
                return parsed;
            }
        }
    }
    return parseIpAddrWithQJson(json);
}

Result<QList<TopoInterface>> parseIpAddrWithQJson(const QByteArray &json)
{
    Reader r(QStringLiteral("ip -j -d addr"));
    const auto doc = r.parse(json, QJsonValue::Array);
    if (!doc) {
        return r.error();
    }
    return interfacesFrom(r, doc->array());
}

Result<QList<TopoRoute>> parseIpRoutes(const QByteArray &json, TopoAddress::Family family)
{
    const bool v6 = family == TopoAddress::Family::IPv6;
    Reader r(v6 ? QStringLiteral("ip -j -6 route show table all") : QStringLiteral("ip -j -4 route show table all"));
    const auto doc = r.parse(json, QJsonValue::Array);
    if (!doc) {
        return r.error();
    }
    QList<TopoRoute> routes;
    const QJsonArray list = doc->array();
    for (qsizetype i = 0; i < list.size() && !r.failed(); ++i) {
        const QString path = index(QString(), i);
        const QJsonObject o = r.asObject(list.at(i), path);
        TopoRoute route;
        route.family = family;
        route.destination = r.string(o, QLatin1StringView("dst"), path);
        if (route.destination.isEmpty() && !r.failed()) {
            r.fail(path, QStringLiteral("expected a route with a dst"));
        }
        // A host route comes without its prefix length; say it, so every destination is a CIDR.
        if (route.destination != QLatin1String("default") && !route.destination.contains(QLatin1Char('/'))) {
            route.destination += v6 ? QStringLiteral("/128") : QStringLiteral("/32");
        }
        route.gateway = r.string(o, QLatin1StringView("gateway"), path);
        route.device = r.string(o, QLatin1StringView("dev"), path);
        const QJsonArray hops = r.array(o, QLatin1StringView("nexthops"), path);
        if (!hops.isEmpty() && (route.device.isEmpty() || route.gateway.isEmpty())) {
            const QJsonObject hop = r.asObject(hops.first(), path + QStringLiteral(".nexthops[0]"));
            if (route.gateway.isEmpty()) {
                route.gateway = r.string(hop, QLatin1StringView("gateway"), path + QStringLiteral(".nexthops[0]"));
            }
            if (route.device.isEmpty()) {
                route.device = r.string(hop, QLatin1StringView("dev"), path + QStringLiteral(".nexthops[0]"));
            }
        }
        // `ip` names the well-known tables and gives others as numbers; main is left out.
        const QJsonValue table = o.value(QLatin1String("table"));
        if (table.isDouble()) {
            route.table = QString::number(table.toInteger());
        } else {
            route.table = r.string(o, QLatin1StringView("table"), path);
        }
        if (route.table.isEmpty()) {
            route.table = QStringLiteral("main");
        }
        route.type = r.string(o, QLatin1StringView("type"), path);
        const QJsonValue protocol = o.value(QLatin1String("protocol"));
        route.protocol = protocol.isDouble() ? QString::number(protocol.toInteger())
                                             : r.string(o, QLatin1StringView("protocol"), path);
        route.metric = r.integer(o, QLatin1StringView("metric"), path);
        routes << route;
    }
    if (r.failed()) {
        return r.error();
    }
    return routes;
}

Result<QList<TopoProxy>> parseProxySettings(const QByteArray &text)
{
    QList<TopoProxy> proxies;
    const QList<QByteArray> lines = text.split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QString line = QString::fromUtf8(lines.at(i)).trimmed();
        if (line.isEmpty()) {
            continue;
        }
        const qsizetype space = line.indexOf(QLatin1Char(' '));
        TopoProxy p;
        p.source = line.left(space);
        QString rest = space < 0 ? QString() : line.mid(space + 1).trimmed();
        if (p.source == QLatin1String("apt")) {
            // Acquire::http::Proxy "http://proxy:3128";
            const qsizetype gap = rest.indexOf(QLatin1Char(' '));
            p.name = rest.left(gap);
            p.value = gap < 0 ? QString() : rest.mid(gap + 1).trimmed();
            if (p.value.endsWith(QLatin1Char(';'))) {
                p.value.chop(1);
            }
        } else if (p.source == QLatin1String("environment") || p.source == QLatin1String("/etc/environment")) {
            const qsizetype eq = rest.indexOf(QLatin1Char('='));
            p.name = rest.left(eq);
            p.value = eq < 0 ? QString() : rest.mid(eq + 1).trimmed();
        } else {
            return Error { QStringLiteral("expected \"environment\", \"/etc/environment\" or \"apt\" before the "
                                          "setting, got \"%1\"")
                               .arg(line.left(60)),
                QStringLiteral("proxy-env"), int(i + 1) };
        }
        if (p.value.size() >= 2 && (p.value.startsWith(QLatin1Char('"')) || p.value.startsWith(QLatin1Char('\'')))
            && p.value.endsWith(p.value.front())) {
            p.value = p.value.mid(1, p.value.size() - 2);
        }
        if (p.name.isEmpty() || p.value.isEmpty()) {
            continue; // "http_proxy=" sets nothing
        }
        p.value = maskProxyCredentials(p.value);
        proxies << p;
    }
    return proxies;
}

// ---- nftables -------------------------------------------------------------------------------

Result<QList<TopoRule>> parseIpRules(const QByteArray &json, TopoAddress::Family family)
{
    const bool v6 = family == TopoAddress::Family::IPv6;
    Reader r(v6 ? QStringLiteral("ip -j -6 rule show") : QStringLiteral("ip -j -4 rule show"));
    const auto doc = r.parse(json, QJsonValue::Array);
    if (!doc) {
        return r.error();
    }
    QList<TopoRule> rules;
    const QJsonArray list = doc->array();
    const auto withLength
        = [&](const QJsonObject &o, QLatin1StringView key, QLatin1StringView lenKey, const QString &path) {
              QString a = r.string(o, key, path);
              if (!a.isEmpty() && a != QLatin1String("all") && !a.contains(QLatin1Char('/'))) {
                  const int len = o.contains(lenKey) ? r.integer(o, lenKey, path) : (v6 ? 128 : 32);
                  a += QLatin1Char('/') + QString::number(len);
              }
              return a;
          };
    for (qsizetype i = 0; i < list.size() && !r.failed(); ++i) {
        const QString path = index(QString(), i);
        const QJsonObject o = r.asObject(list.at(i), path);
        TopoRule rule;
        rule.family = family;
        rule.priority = r.integer(o, QLatin1StringView("priority"), path);
        rule.from = withLength(o, QLatin1StringView("src"), QLatin1StringView("srclen"), path);
        if (rule.from.isEmpty()) {
            rule.from = QStringLiteral("all");
        }
        rule.to = withLength(o, QLatin1StringView("dst"), QLatin1StringView("dstlen"), path);
        rule.iif = r.string(o, QLatin1StringView("iif"), path);
        rule.oif = r.string(o, QLatin1StringView("oif"), path);
        rule.fwmark = r.string(o, QLatin1StringView("fwmark"), path);
        const QString mask = r.string(o, QLatin1StringView("fwmask"), path);
        if (!rule.fwmark.isEmpty() && !mask.isEmpty()) {
            rule.fwmark += QLatin1Char('/') + mask;
        }
        rule.invert = o.contains(QLatin1String("not"));
        const QJsonValue table = o.value(QLatin1String("table"));
        rule.table
            = table.isDouble() ? QString::number(table.toInteger()) : r.string(o, QLatin1StringView("table"), path);
        rule.action = r.string(o, QLatin1StringView("action"), path);
        if (rule.action.isEmpty() && rule.table.isEmpty() && !r.failed()) {
            r.fail(path, QStringLiteral("expected a rule with a table or an action"));
        }
        rules << rule;
    }
    if (r.failed()) {
        return r.error();
    }
    std::stable_sort(rules.begin(), rules.end(), [](const TopoRule &a, const TopoRule &b) {
        return a.priority < b.priority;
    });
    return rules;
}

namespace {

QString nftExpr(const QJsonValue &v, int depth = 0);

QString nftObject(const QJsonObject &o, int depth)
{
    if (o.size() != 1) {
        return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
    }
    const QString key = o.begin().key();
    const QJsonValue value = o.begin().value();
    const QJsonObject inner = value.toObject();
    if (key == QLatin1String("payload")) {
        if (inner.contains(QLatin1String("protocol"))) {
            return inner.value(QLatin1String("protocol")).toString() + QLatin1Char(' ')
                + inner.value(QLatin1String("field")).toString();
        }
        return QStringLiteral("@%1,%2,%3")
            .arg(inner.value(QLatin1String("base")).toString())
            .arg(inner.value(QLatin1String("offset")).toInteger())
            .arg(inner.value(QLatin1String("len")).toInteger());
    }
    if (key == QLatin1String("meta")) {
        const QString k = inner.value(QLatin1String("key")).toString();
        static const QStringList bare { QStringLiteral("iifname"), QStringLiteral("oifname"), QStringLiteral("iif"),
            QStringLiteral("oif"), QStringLiteral("mark") };
        return bare.contains(k) ? k : QStringLiteral("meta ") + k;
    }
    if (key == QLatin1String("ct")) {
        return QStringLiteral("ct ") + inner.value(QLatin1String("key")).toString();
    }
    if (key == QLatin1String("prefix")) {
        return nftExpr(inner.value(QLatin1String("addr")), depth + 1) + QLatin1Char('/')
            + QString::number(inner.value(QLatin1String("len")).toInteger());
    }
    if (key == QLatin1String("set") || key == QLatin1String("range")) {
        QStringList items;
        const QJsonArray a = value.isArray() ? value.toArray() : QJsonArray { value };
        for (const QJsonValue &item : a) {
            items << nftExpr(item, depth + 1);
        }
        return key == QLatin1String("range")
            ? items.join(QLatin1Char('-'))
            : QStringLiteral("{ ") + items.join(QStringLiteral(", ")) + QStringLiteral(" }");
    }
    return key + QLatin1Char(' ') + nftExpr(value, depth + 1);
}

QString nftExpr(const QJsonValue &v, int depth)
{
    if (depth > 16) {
        return QStringLiteral("...");
    }
    switch (v.type()) {
    case QJsonValue::String:
        return v.toString();
    case QJsonValue::Double:
        return QString::number(v.toDouble(), 'g', 17);
    case QJsonValue::Bool:
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Array: {
        QStringList items;
        for (const QJsonValue &item : v.toArray()) {
            items << nftExpr(item, depth + 1);
        }
        return items.join(QLatin1Char(' '));
    }
    case QJsonValue::Object:
        return nftObject(v.toObject(), depth);
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    return {};
}

/// One statement of a rule as nft would roughly print it; counters are left out.
QString nftStatement(const QJsonObject &s)
{
    if (s.size() != 1) {
        return QString::fromUtf8(QJsonDocument(s).toJson(QJsonDocument::Compact));
    }
    const QString key = s.begin().key();
    const QJsonValue value = s.begin().value();
    if (key == QLatin1String("counter")) {
        return {};
    }
    if (key == QLatin1String("match")) {
        const QJsonObject m = value.toObject();
        const QString op = m.value(QLatin1String("op")).toString();
        const QString left = nftExpr(m.value(QLatin1String("left")));
        const QString right = nftExpr(m.value(QLatin1String("right")));
        if (op == QLatin1String("==") || op == QLatin1String("in")) {
            return left + QLatin1Char(' ') + right;
        }
        return left + QLatin1Char(' ') + op + QLatin1Char(' ') + right;
    }
    if (key == QLatin1String("masquerade") || key == QLatin1String("accept") || key == QLatin1String("drop")
        || key == QLatin1String("return")) {
        return key;
    }
    if (key == QLatin1String("snat") || key == QLatin1String("dnat")) {
        return key + QStringLiteral(" to ") + nftExpr(value.toObject().value(QLatin1String("addr")));
    }
    if (key == QLatin1String("jump") || key == QLatin1String("goto")) {
        return key + QLatin1Char(' ') + value.toObject().value(QLatin1String("target")).toString();
    }
    return key + QLatin1Char(' ') + nftExpr(value);
}

/// Tables iptables-nft creates; their rules are read from iptables-save instead.
bool isIptablesNftTable(const QString &family, const QString &name)
{
    static const QStringList names { QStringLiteral("filter"), QStringLiteral("nat"), QStringLiteral("mangle"),
        QStringLiteral("raw"), QStringLiteral("security") };
    return (family == QLatin1String("ip") || family == QLatin1String("ip6")) && names.contains(name);
}

} // namespace

Result<NftFacts> parseNftRuleset(const QByteArray &json)
{
    Reader r(QStringLiteral("nft -j list ruleset"));
    const auto doc = r.parse(json, QJsonValue::Object);
    if (!doc) {
        return r.error();
    }
    const QJsonValue items = doc->object().value(QLatin1String("nftables"));
    if (!items.isArray()) {
        r.expectType(QStringLiteral("nftables"), items, QStringLiteral("an array"));
        return r.error();
    }
    NftFacts facts;
    const QJsonArray list = items.toArray();
    for (qsizetype i = 0; i < list.size() && !r.failed(); ++i) {
        const QString path = index(QStringLiteral("nftables"), i);
        const QJsonObject item = r.asObject(list.at(i), path);
        if (item.contains(QLatin1String("table"))) {
            const QString p = path + QStringLiteral(".table");
            const QJsonObject t = r.object(item, QLatin1StringView("table"), path);
            const QString family = r.string(t, QLatin1StringView("family"), p);
            const QString name = r.string(t, QLatin1StringView("name"), p);
            const QString id = family + QLatin1Char(' ') + name;
            facts.tables << id;
            if (name == QLatin1String("lxd") || name == QLatin1String("incus")) {
                facts.lxdTables << id;
            }
        } else if (item.contains(QLatin1String("chain"))) {
            const QString p = path + QStringLiteral(".chain");
            const QJsonObject c = r.object(item, QLatin1StringView("chain"), path);
            const QString family = r.string(c, QLatin1StringView("family"), p);
            const QString name = r.string(c, QLatin1StringView("name"), p);
            const QString hook = r.string(c, QLatin1StringView("hook"), p);
            const QString policy = r.string(c, QLatin1StringView("policy"), p).toUpper();
            if (name == QLatin1String("DOCKER-USER")) {
                facts.hasDockerUserChain = true;
            }
            if (hook != QLatin1String("forward")) {
                continue;
            }
            // A packet dropped by any base chain on the hook is gone, whatever the others accept.
            const bool v4 = family == QLatin1String("ip") || family == QLatin1String("inet");
            const bool v6 = family == QLatin1String("ip6") || family == QLatin1String("inet");
            const QString effective = policy == QLatin1String("DROP") ? policy : QStringLiteral("ACCEPT");
            if (v4) {
                if (facts.forwardPolicyV4 != QLatin1String("DROP")) {
                    facts.forwardPolicyV4 = effective;
                }
            }
            if (v6) {
                if (facts.forwardPolicyV6 != QLatin1String("DROP")) {
                    facts.forwardPolicyV6 = effective;
                }
            }
        } else if (item.contains(QLatin1String("rule"))) {
            const QString p = path + QStringLiteral(".rule");
            const QJsonObject rule = r.object(item, QLatin1StringView("rule"), path);
            const QString family = r.string(rule, QLatin1StringView("family"), p);
            const QString table = r.string(rule, QLatin1StringView("table"), p);
            const QString chain = r.string(rule, QLatin1StringView("chain"), p);
            const QJsonArray expr = r.array(rule, QLatin1StringView("expr"), p);
            bool nat = false;
            QStringList words;
            for (qsizetype j = 0; j < expr.size(); ++j) {
                const QJsonObject s = r.asObject(expr.at(j), index(p + QStringLiteral(".expr"), j));
                if (s.contains(QLatin1String("masquerade")) || s.contains(QLatin1String("snat"))) {
                    nat = true;
                }
                const QString text = nftStatement(s);
                if (!text.isEmpty()) {
                    words << text;
                }
            }
            if (nat && !isIptablesNftTable(family, table)) {
                facts.masqueradeRules
                    << QStringLiteral("nft %1 %2 %3: %4").arg(family, table, chain, words.join(QLatin1Char(' ')));
            }
        }
    }
    if (r.failed()) {
        return r.error();
    }
    return facts;
}

QString nftRuleText(const QJsonArray &expr)
{
    QStringList words;
    for (const QJsonValue &v : expr) {
        const QString text = nftStatement(v.toObject());
        if (!text.isEmpty()) {
            words << text;
        }
    }
    return words.join(QLatin1Char(' '));
}

// ---- iptables -------------------------------------------------------------------------------

Result<IptablesFacts> parseIptablesSave(const QByteArray &text, TopoAddress::Family family)
{
    const bool v6 = family == TopoAddress::Family::IPv6;
    const QString source = v6 ? QStringLiteral("ip6tables-save") : QStringLiteral("iptables-save");
    const QString tool = v6 ? QStringLiteral("ip6tables") : QStringLiteral("iptables");
    static const QRegularExpression header(QStringLiteral("^# Generated by ip6?tables-save v[0-9.]+ \\(([a-z_]+)\\)"));
    static const QRegularExpression chainLine(QStringLiteral("^:(\\S+) (\\S+)( \\[\\d+:\\d+\\])?$"));
    static const QRegularExpression inIf(QStringLiteral("(?:^| )-i (\\S+)"));
    static const QRegularExpression jumpAccept(QStringLiteral("(?:^| )-j ACCEPT(?: |$)"));
    IptablesFacts facts;
    QString table;
    const QList<QByteArray> lines = text.split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QByteArray &raw = lines.at(i);
        const int lineNo = int(i) + 1;
        if (raw.contains('\0')) {
            return Error { QStringLiteral("binary data where iptables-save prints text"), source, lineNo };
        }
        const QString line = QString::fromUtf8(raw).trimmed();
        if (line.isEmpty()) {
            continue;
        }
        if (line.startsWith(QLatin1Char('#'))) {
            const auto m = header.match(line);
            if (m.hasMatch()) {
                facts.variant = m.captured(1);
            }
            continue;
        }
        if (line.startsWith(QLatin1Char('*'))) {
            table = line.mid(1);
            if (table.isEmpty() || table.contains(QLatin1Char(' '))) {
                return Error { QStringLiteral("expected a table name after '*', got \"%1\"").arg(line.left(60)), source,
                    lineNo, 2 };
            }
            if (!facts.tables.contains(table)) {
                facts.tables << table;
            }
            continue;
        }
        if (line == QLatin1String("COMMIT")) {
            if (table.isEmpty()) {
                return Error { QStringLiteral("COMMIT outside a table"), source, lineNo, 1 };
            }
            table.clear();
            continue;
        }
        if (table.isEmpty()) {
            return Error { QStringLiteral("expected a table (*filter) or a comment, got \"%1\"").arg(line.left(60)),
                source, lineNo, 1 };
        }
        if (line.startsWith(QLatin1Char(':'))) {
            const auto m = chainLine.match(line);
            if (!m.hasMatch()) {
                return Error { QStringLiteral("expected a chain line like \":FORWARD ACCEPT [0:0]\", got \"%1\"")
                                   .arg(line.left(60)),
                    source, lineNo, 1 };
            }
            const QString chain = m.captured(1);
            if (chain == QLatin1String("DOCKER-USER")) {
                facts.hasDockerUserChain = true;
            }
            if (table == QLatin1String("filter") && chain == QLatin1String("FORWARD")) {
                facts.forwardPolicy = m.captured(2);
            }
            continue;
        }
        if (line.startsWith(QLatin1String("-A ")) || line.startsWith(QLatin1String("-I "))) {
            const QString chain = line.section(QLatin1Char(' '), 1, 1);
            if (table == QLatin1String("nat")
                && (line.contains(QLatin1String("-j MASQUERADE")) || line.contains(QLatin1String("-j SNAT")))) {
                facts.masqueradeRules << tool + QStringLiteral(" -t nat ") + line;
            }
            if (table == QLatin1String("filter")
                && (chain == QLatin1String("FORWARD") || chain == QLatin1String("DOCKER-USER"))
                && jumpAccept.match(line).hasMatch()) {
                const auto m = inIf.match(line);
                if (m.hasMatch() && !facts.forwardAcceptedInterfaces.contains(m.captured(1))) {
                    facts.forwardAcceptedInterfaces << m.captured(1);
                }
            }
            continue;
        }
        if (line.startsWith(QLatin1String("-N ")) || line.startsWith(QLatin1String("-P "))) {
            continue;
        }
        return Error { QStringLiteral(
                           "expected a chain (:NAME POLICY), a rule (-A ...), COMMIT or a comment, got \"%1\"")
                           .arg(line.left(60)),
            source, lineNo, 1 };
    }
    return facts;
}

Result<QString> parseIptablesVariant(const QByteArray &text)
{
    static const QRegularExpression re(QStringLiteral("^ip6?tables v[0-9][0-9.]*(?: \\(([a-z_]+)\\))?"));
    const QString line = QString::fromUtf8(text).section(QLatin1Char('\n'), 0, 0).trimmed();
    const auto m = re.match(line);
    if (!m.hasMatch()) {
        return Error { QStringLiteral("expected iptables' version line (\"iptables v1.8.9 (nf_tables)\"), got \"%1\"")
                           .arg(line.left(60)),
            QStringLiteral("iptables -V"), 1, 1 };
    }
    // Before 1.8 there was only the legacy backend, and the version line did not say so.
    return m.captured(1).isEmpty() ? QStringLiteral("legacy") : m.captured(1);
}

} // namespace nestscope::topoparse
