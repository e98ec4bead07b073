#include "topologyjson.h"

#include <QJsonDocument>
#include <QJsonParseError>

#include <optional>

namespace nestscope {

namespace {

const QString kFormat = QStringLiteral("nestscope-topology");
constexpr int kVersion = 1;

QString familyText(TopoAddress::Family f)
{
    return f == TopoAddress::Family::IPv4 ? QStringLiteral("inet") : QStringLiteral("inet6");
}

QJsonArray strings(const QStringList &list)
{
    return QJsonArray::fromStringList(list);
}

QJsonObject stringMap(const QMap<QString, QString> &map)
{
    QJsonObject o;
    for (auto it = map.cbegin(); it != map.cend(); ++it) {
        o.insert(it.key(), it.value());
    }
    return o;
}

QJsonArray addresses(const QList<TopoAddress> &list)
{
    QJsonArray a;
    for (const TopoAddress &x : list) {
        a.append(QJsonObject { { QStringLiteral("family"), familyText(x.family) },
            { QStringLiteral("address"), x.address }, { QStringLiteral("prefixLength"), x.prefixLength },
            { QStringLiteral("scope"), x.scope }, { QStringLiteral("tentative"), x.tentative } });
    }
    return a;
}

/// Reads the document back, remembering the first type error with its JSON path.
class Reader {
public:
    void fail(const QString &path, const QString &message)
    {
        if (!m_error) {
            m_error = Error { QStringLiteral("topology JSON at %1: %2").arg(path, message), QString() };
        }
    }
    bool failed() const { return m_error.has_value(); }
    const Error &error() const { return *m_error; }

    QString str(const QJsonObject &o, const char *key, const QString &path)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull()) {
            return {};
        }
        if (!v.isString()) {
            fail(path + QLatin1Char('.') + QLatin1String(key), QStringLiteral("expected a string"));
            return {};
        }
        return v.toString();
    }
    int integer(const QJsonObject &o, const char *key, const QString &path)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull()) {
            return 0;
        }
        const double d = v.toDouble();
        // The range first: converting a double outside qint64's range (1e300) is undefined behaviour.
        if (!v.isDouble() || d < -2147483648.0 || d > 2147483647.0 || d != double(qint64(d))) {
            fail(path + QLatin1Char('.') + QLatin1String(key), QStringLiteral("expected an integer"));
            return 0;
        }
        return int(d);
    }
    bool boolean(const QJsonObject &o, const char *key, const QString &path)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull()) {
            return false;
        }
        if (!v.isBool()) {
            fail(path + QLatin1Char('.') + QLatin1String(key), QStringLiteral("expected true or false"));
            return false;
        }
        return v.toBool();
    }
    QJsonObject obj(const QJsonValue &v, const QString &path)
    {
        if (v.isUndefined() || v.isNull()) {
            return {};
        }
        if (!v.isObject()) {
            fail(path, QStringLiteral("expected an object"));
            return {};
        }
        return v.toObject();
    }
    QJsonObject obj(const QJsonObject &o, const char *key, const QString &path)
    {
        return obj(o.value(QLatin1String(key)), path + QLatin1Char('.') + QLatin1String(key));
    }
    QJsonArray arr(const QJsonObject &o, const char *key, const QString &path)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull()) {
            return {};
        }
        if (!v.isArray()) {
            fail(path + QLatin1Char('.') + QLatin1String(key), QStringLiteral("expected an array"));
            return {};
        }
        return v.toArray();
    }
    QStringList strList(const QJsonObject &o, const char *key, const QString &path)
    {
        QStringList out;
        const QJsonArray a = arr(o, key, path);
        for (qsizetype i = 0; i < a.size(); ++i) {
            if (!a.at(i).isString()) {
                fail(QStringLiteral("%1.%2[%3]").arg(path, QLatin1String(key)).arg(i),
                    QStringLiteral("expected a string"));
                break;
            }
            out << a.at(i).toString();
        }
        return out;
    }
    QMap<QString, QString> strMap(const QJsonObject &o, const char *key, const QString &path)
    {
        QMap<QString, QString> out;
        const QJsonObject m = obj(o, key, path);
        for (auto it = m.begin(); it != m.end(); ++it) {
            if (!it.value().isString()) {
                fail(QStringLiteral("%1.%2.%3").arg(path, QLatin1String(key), it.key()),
                    QStringLiteral("expected a string"));
                break;
            }
            out.insert(it.key(), it.value().toString());
        }
        return out;
    }
    TopoAddress::Family family(const QJsonObject &o, const QString &path)
    {
        const QString f = str(o, "family", path);
        if (f == QLatin1String("inet6")) {
            return TopoAddress::Family::IPv6;
        }
        if (f != QLatin1String("inet") && !f.isEmpty()) {
            fail(path + QStringLiteral(".family"), QStringLiteral("expected \"inet\" or \"inet6\", got \"%1\"").arg(f));
        }
        return TopoAddress::Family::IPv4;
    }
    QList<TopoAddress> addresses(const QJsonObject &o, const QString &path)
    {
        QList<TopoAddress> out;
        const QJsonArray a = arr(o, "addresses", path);
        for (qsizetype i = 0; i < a.size() && !failed(); ++i) {
            const QString p = QStringLiteral("%1.addresses[%2]").arg(path).arg(i);
            const QJsonObject x = obj(a.at(i), p);
            TopoAddress addr;
            addr.family = family(x, p);
            addr.address = str(x, "address", p);
            addr.prefixLength = integer(x, "prefixLength", p);
            addr.scope = str(x, "scope", p);
            addr.tentative = boolean(x, "tentative", p);
            out << addr;
        }
        return out;
    }
    /// Each object of an array, with its path.
    template <typename F> void each(const QJsonObject &o, const char *key, const QString &path, F f)
    {
        const QJsonArray a = arr(o, key, path);
        for (qsizetype i = 0; i < a.size() && !failed(); ++i) {
            const QString p = QStringLiteral("%1.%2[%3]").arg(path, QLatin1String(key)).arg(i);
            f(obj(a.at(i), p), p);
        }
    }

private:
    std::optional<Error> m_error;
};

} // namespace

QJsonObject topologyToJson(const Topology &t)
{
    QJsonArray interfaces;
    for (const TopoInterface &i : t.interfaces) {
        interfaces.append(QJsonObject { { QStringLiteral("name"), i.name }, { QStringLiteral("kind"), i.kind },
            { QStringLiteral("state"), i.state }, { QStringLiteral("mtu"), i.mtu }, { QStringLiteral("mac"), i.mac },
            { QStringLiteral("master"), i.master }, { QStringLiteral("addresses"), addresses(i.addresses) } });
    }
    QJsonArray routes;
    for (const TopoRoute &r : t.routes) {
        routes.append(QJsonObject { { QStringLiteral("family"), familyText(r.family) },
            { QStringLiteral("destination"), r.destination }, { QStringLiteral("gateway"), r.gateway },
            { QStringLiteral("device"), r.device }, { QStringLiteral("table"), r.table },
            { QStringLiteral("type"), r.type }, { QStringLiteral("protocol"), r.protocol },
            { QStringLiteral("metric"), r.metric } });
    }
    QJsonArray rules;
    for (const TopoRule &r : t.rules) {
        rules.append(QJsonObject { { QStringLiteral("family"), familyText(r.family) },
            { QStringLiteral("priority"), r.priority }, { QStringLiteral("from"), r.from },
            { QStringLiteral("to"), r.to }, { QStringLiteral("iif"), r.iif }, { QStringLiteral("oif"), r.oif },
            { QStringLiteral("fwmark"), r.fwmark }, { QStringLiteral("not"), r.invert },
            { QStringLiteral("table"), r.table }, { QStringLiteral("action"), r.action } });
    }
    QJsonArray proxies;
    for (const TopoProxy &x : t.proxies) {
        proxies.append(QJsonObject { { QStringLiteral("source"), x.source }, { QStringLiteral("name"), x.name },
            { QStringLiteral("value"), x.value } });
    }
    const TopoFirewall &fw = t.firewall;
    const QJsonObject firewall { { QStringLiteral("backend"), fw.backend },
        { QStringLiteral("forwardPolicyV4"), fw.forwardPolicyV4 },
        { QStringLiteral("forwardPolicyV6"), fw.forwardPolicyV6 },
        { QStringLiteral("hasDockerUserChain"), fw.hasDockerUserChain },
        { QStringLiteral("forwardAcceptedV4"), strings(fw.forwardAcceptedV4) },
        { QStringLiteral("forwardAcceptedV6"), strings(fw.forwardAcceptedV6) },
        { QStringLiteral("lxdTables"), strings(fw.lxdTables) },
        { QStringLiteral("masqueradeRules"), strings(fw.masqueradeRules) },
        { QStringLiteral("rawNftJson"), fw.rawNftJson }, { QStringLiteral("rawIptablesSave"), fw.rawIptablesSave } };
    QJsonArray networks;
    for (const TopoNetwork &n : t.networks) {
        networks.append(QJsonObject { { QStringLiteral("name"), n.name }, { QStringLiteral("type"), n.type },
            { QStringLiteral("managed"), n.managed }, { QStringLiteral("status"), n.status },
            { QStringLiteral("config"), stringMap(n.config) }, { QStringLiteral("usedBy"), strings(n.usedBy) },
            { QStringLiteral("rawJson"), n.rawJson } });
    }
    QJsonArray leases;
    for (const TopoLease &l : t.leases) {
        leases.append(QJsonObject { { QStringLiteral("network"), l.network },
            { QStringLiteral("hostname"), l.hostname }, { QStringLiteral("hwaddr"), l.hwaddr },
            { QStringLiteral("address"), l.address }, { QStringLiteral("type"), l.type } });
    }
    QJsonArray instances;
    for (const TopoInstance &i : t.instances) {
        QJsonArray nics;
        for (const TopoNic &n : i.nics) {
            nics.append(QJsonObject { { QStringLiteral("device"), n.device }, { QStringLiteral("network"), n.network },
                { QStringLiteral("nicType"), n.nicType }, { QStringLiteral("hostName"), n.hostName },
                { QStringLiteral("hwaddr"), n.hwaddr }, { QStringLiteral("mtu"), n.mtu },
                { QStringLiteral("state"), n.state }, { QStringLiteral("addresses"), addresses(n.addresses) } });
        }
        QJsonObject instance { { QStringLiteral("name"), i.name }, { QStringLiteral("type"), i.type },
            { QStringLiteral("status"), i.status }, { QStringLiteral("nics"), nics },
            { QStringLiteral("rawJson"), i.rawJson } };
        if (!i.environment.isEmpty()) {
            instance.insert(QStringLiteral("environment"), stringMap(i.environment));
        }
        instances.append(instance);
    }
    QJsonObject runner { { QStringLiteral("hostname"), t.hostname }, { QStringLiteral("kernel"), t.kernel },
        { QStringLiteral("interfaces"), interfaces }, { QStringLiteral("routes"), routes },
        { QStringLiteral("rules"), rules }, { QStringLiteral("sysctls"), stringMap(t.sysctls) },
        { QStringLiteral("resolvConf"), t.resolvConf }, { QStringLiteral("firewall"), firewall } };
    if (t.proxiesKnown) { // absent: not read (a recording from before discovery read them)
        runner.insert(QStringLiteral("proxies"), proxies);
    }
    QJsonArray warnings;
    for (const TopoWarning &w : t.warnings) {
        QJsonObject o { { QStringLiteral("source"), w.source }, { QStringLiteral("message"), w.message } };
        if (!w.details.isEmpty()) { // absent: none (and what writers before it wrote)
            o.insert(QStringLiteral("details"), w.details);
        }
        warnings.append(o);
    }
    return QJsonObject {
        { QStringLiteral("format"), kFormat },
        { QStringLiteral("version"), kVersion },
        { QStringLiteral("discoveredAt"),
            t.discoveredAt.isValid() ? QJsonValue(t.discoveredAt.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue() },
        { QStringLiteral("transport"), t.transport },
        { QStringLiteral("runner"), runner },
        { QStringLiteral("lxd"),
            QJsonObject { { QStringLiteral("client"), t.lxdClient },
                { QStringLiteral("serverVersion"), t.lxdServerVersion },
                { QStringLiteral("firewallDriver"), t.lxdFirewallDriver }, { QStringLiteral("networks"), networks },
                { QStringLiteral("leases"), leases }, { QStringLiteral("instances"), instances } } },
        { QStringLiteral("warnings"), warnings },
    };
}

Result<Topology> topologyFromJson(const QJsonObject &json)
{
    if (json.value(QStringLiteral("format")).toString() != kFormat) {
        return Error { QStringLiteral("not a Nestscope topology: expected \"format\": \"%1\"").arg(kFormat),
            QString() };
    }
    const QJsonValue version = json.value(QStringLiteral("version"));
    if (!version.isDouble() || version.toInt() != kVersion) {
        return Error { QStringLiteral("unsupported topology JSON version (expected %1)").arg(kVersion), QString() };
    }
    Reader r;
    Topology t;
    const QString top = QStringLiteral("$");
    const QString at = r.str(json, "discoveredAt", top);
    if (!at.isEmpty()) {
        t.discoveredAt = QDateTime::fromString(at, Qt::ISODateWithMs);
        if (!t.discoveredAt.isValid()) {
            r.fail(QStringLiteral("$.discoveredAt"), QStringLiteral("expected an ISO 8601 date and time"));
        }
    }
    t.transport = r.str(json, "transport", top);

    const QString rp = QStringLiteral("$.runner");
    const QJsonObject runner = r.obj(json, "runner", top);
    t.hostname = r.str(runner, "hostname", rp);
    t.kernel = r.str(runner, "kernel", rp);
    r.each(runner, "interfaces", rp, [&](const QJsonObject &o, const QString &p) {
        TopoInterface i;
        i.name = r.str(o, "name", p);
        i.kind = r.str(o, "kind", p);
        i.state = r.str(o, "state", p);
        i.mtu = r.integer(o, "mtu", p);
        i.mac = r.str(o, "mac", p);
        i.master = r.str(o, "master", p);
        i.addresses = r.addresses(o, p);
        t.interfaces << i;
    });
    r.each(runner, "routes", rp, [&](const QJsonObject &o, const QString &p) {
        TopoRoute x;
        x.family = r.family(o, p);
        x.destination = r.str(o, "destination", p);
        x.gateway = r.str(o, "gateway", p);
        x.device = r.str(o, "device", p);
        x.table = r.str(o, "table", p);
        x.type = r.str(o, "type", p);
        x.protocol = r.str(o, "protocol", p);
        x.metric = r.integer(o, "metric", p);
        t.routes << x;
    });
    r.each(runner, "rules", rp, [&](const QJsonObject &o, const QString &p) {
        TopoRule x;
        x.family = r.family(o, p);
        x.priority = r.integer(o, "priority", p);
        x.from = r.str(o, "from", p);
        x.to = r.str(o, "to", p);
        x.iif = r.str(o, "iif", p);
        x.oif = r.str(o, "oif", p);
        x.fwmark = r.str(o, "fwmark", p);
        x.invert = r.boolean(o, "not", p);
        x.table = r.str(o, "table", p);
        x.action = r.str(o, "action", p);
        t.rules << x;
    });
    t.proxiesKnown = runner.contains(QLatin1String("proxies"));
    r.each(runner, "proxies", rp, [&](const QJsonObject &o, const QString &p) {
        t.proxies << TopoProxy { r.str(o, "source", p), r.str(o, "name", p), r.str(o, "value", p) };
    });
    t.sysctls = r.strMap(runner, "sysctls", rp);
    t.resolvConf = r.str(runner, "resolvConf", rp);
    const QString fp = rp + QStringLiteral(".firewall");
    const QJsonObject fw = r.obj(runner, "firewall", rp);
    t.firewall.backend = r.str(fw, "backend", fp);
    t.firewall.forwardPolicyV4 = r.str(fw, "forwardPolicyV4", fp);
    t.firewall.forwardPolicyV6 = r.str(fw, "forwardPolicyV6", fp);
    t.firewall.hasDockerUserChain = r.boolean(fw, "hasDockerUserChain", fp);
    t.firewall.forwardAcceptedV4 = r.strList(fw, "forwardAcceptedV4", fp);
    t.firewall.forwardAcceptedV6 = r.strList(fw, "forwardAcceptedV6", fp);
    t.firewall.lxdTables = r.strList(fw, "lxdTables", fp);
    t.firewall.masqueradeRules = r.strList(fw, "masqueradeRules", fp);
    t.firewall.rawNftJson = r.str(fw, "rawNftJson", fp);
    t.firewall.rawIptablesSave = r.str(fw, "rawIptablesSave", fp);

    const QString lp = QStringLiteral("$.lxd");
    const QJsonObject lxd = r.obj(json, "lxd", top);
    t.lxdClient = r.str(lxd, "client", lp);
    t.lxdServerVersion = r.str(lxd, "serverVersion", lp);
    t.lxdFirewallDriver = r.str(lxd, "firewallDriver", lp);
    r.each(lxd, "networks", lp, [&](const QJsonObject &o, const QString &p) {
        TopoNetwork n;
        n.name = r.str(o, "name", p);
        n.type = r.str(o, "type", p);
        n.managed = r.boolean(o, "managed", p);
        n.status = r.str(o, "status", p);
        n.config = r.strMap(o, "config", p);
        n.usedBy = r.strList(o, "usedBy", p);
        n.rawJson = r.str(o, "rawJson", p);
        t.networks << n;
    });
    r.each(lxd, "leases", lp, [&](const QJsonObject &o, const QString &p) {
        t.leases << TopoLease { r.str(o, "network", p), r.str(o, "hostname", p), r.str(o, "hwaddr", p),
            r.str(o, "address", p), r.str(o, "type", p) };
    });
    r.each(lxd, "instances", lp, [&](const QJsonObject &o, const QString &p) {
        TopoInstance i;
        i.name = r.str(o, "name", p);
        i.type = r.str(o, "type", p);
        i.status = r.str(o, "status", p);
        r.each(o, "nics", p, [&](const QJsonObject &no, const QString &np) {
            TopoNic n;
            n.device = r.str(no, "device", np);
            n.network = r.str(no, "network", np);
            n.nicType = r.str(no, "nicType", np);
            n.hostName = r.str(no, "hostName", np);
            n.hwaddr = r.str(no, "hwaddr", np);
            n.mtu = r.integer(no, "mtu", np);
            n.state = r.str(no, "state", np);
            n.addresses = r.addresses(no, np);
            i.nics << n;
        });
        i.environment = r.strMap(o, "environment", p);
        i.rawJson = r.str(o, "rawJson", p);
        t.instances << i;
    });
    r.each(json, "warnings", top, [&](const QJsonObject &o, const QString &p) {
        t.warnings << TopoWarning { r.str(o, "source", p), r.str(o, "message", p), r.str(o, "details", p) };
    });
    if (r.failed()) {
        return r.error();
    }
    return t;
}

QByteArray writeTopologyJson(const Topology &topology)
{
    return QJsonDocument(topologyToJson(topology)).toJson(QJsonDocument::Indented);
}

Result<Topology> readTopologyJson(const QByteArray &json)
{
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &perr);
    if (perr.error != QJsonParseError::NoError) {
        int line = 1;
        int column = 1;
        for (qsizetype i = 0; i < std::min<qsizetype>(perr.offset, json.size()); ++i) {
            if (json.at(i) == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        return Error { QStringLiteral("not valid JSON: %1").arg(perr.errorString()), QString(), line, column };
    }
    if (!doc.isObject()) {
        return Error { QStringLiteral("expected a topology object at the top"), QString() };
    }
    return topologyFromJson(doc.object());
}

QJsonArray problemsToJson(const QList<TopoProblem> &problems)
{
    QJsonArray a;
    for (const TopoProblem &p : problems) {
        a.append(QJsonObject { { QStringLiteral("id"), p.id },
            { QStringLiteral("severity"),
                p.severity == TopoProblem::Severity::Error ? QStringLiteral("error") : QStringLiteral("warning") },
            { QStringLiteral("nodeId"), p.nodeId }, { QStringLiteral("title"), p.title },
            { QStringLiteral("why"), p.why } });
    }
    return a;
}

} // namespace nestscope
