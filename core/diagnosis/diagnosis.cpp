#include "diagnosis.h"

#include "common/shellquote.h"
#include "diagnosis/firewall.h"
#include "plan/plan.h"
#include "topology/topologyjson.h"

#include <QHash>
#include <QHostAddress>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

namespace nestscope {

namespace {

using AF = TopoAddress::Family;

// ---- what each probe measures ---------------------------------------------------------------

enum class Layer { Address, Route, Resolver, Dns, Icmp, Tcp, Http, Tls, Bulk, Path, App, Other };
enum class Fam { Any, V4, V6 };

QString layerName(Layer l)
{
    switch (l) {
    case Layer::Address:
        return QStringLiteral("address");
    case Layer::Route:
        return QStringLiteral("default route");
    case Layer::Resolver:
        return QStringLiteral("resolver");
    case Layer::Dns:
        return QStringLiteral("DNS");
    case Layer::Icmp:
        return QStringLiteral("ICMP");
    case Layer::Tcp:
        return QStringLiteral("TCP connect");
    case Layer::Http:
        return QStringLiteral("HTTP");
    case Layer::Tls:
        return QStringLiteral("TLS");
    case Layer::Bulk:
        return QStringLiteral("bulk transfer");
    case Layer::Path:
        return QStringLiteral("path MTU");
    case Layer::App:
        return QStringLiteral("application");
    case Layer::Other:
        break;
    }
    return QStringLiteral("other");
}

QString famKey(Fam f)
{
    return f == Fam::V4 ? QStringLiteral("ipv4") : f == Fam::V6 ? QStringLiteral("ipv6") : QString();
}

QString famName(Fam f)
{
    return f == Fam::V4 ? QStringLiteral("IPv4") : f == Fam::V6 ? QStringLiteral("IPv6") : QStringLiteral("any family");
}

AF toAF(Fam f)
{
    return f == Fam::V6 ? AF::IPv6 : AF::IPv4;
}

bool isOutward(Layer l)
{
    return l == Layer::Icmp || l == Layer::Tcp || l == Layer::Http || l == Layer::Tls || l == Layer::Bulk;
}

struct ProbeInfo {
    Layer layer = Layer::Other;
    Fam fam = Fam::Any;
    bool usesName = true;
    int port = 0;
};

bool isLiteral(const QString &host)
{
    QString h = host;
    if (h.startsWith(QLatin1Char('[')) && h.endsWith(QLatin1Char(']'))) {
        h = h.mid(1, h.size() - 2);
    }
    return !QHostAddress(h).isNull();
}

ProbeInfo classify(const QString &id, const Plan *plan)
{
    ProbeInfo info;
    const Probe *p = plan ? plan->probe(id) : nullptr;
    if (p) {
        info.fam = p->family == Family::IPv4 ? Fam::V4 : p->family == Family::IPv6 ? Fam::V6 : Fam::Any;
        switch (p->kind) {
        case ProbeKind::Fact:
            switch (p->fact) {
            case FactKind::Ipv4Address:
                return { Layer::Address, Fam::V4, false, 0 };
            case FactKind::Ipv6Address:
                return { Layer::Address, Fam::V6, false, 0 };
            case FactKind::Ipv4DefaultRoute:
                return { Layer::Route, Fam::V4, false, 0 };
            case FactKind::Ipv6DefaultRoute:
                return { Layer::Route, Fam::V6, false, 0 };
            case FactKind::Resolver:
                return { Layer::Resolver, Fam::Any, false, 0 };
            case FactKind::Ipv6Enabled:
                return { Layer::Other, Fam::V6, false, 0 };
            }
            break;
        case ProbeKind::Dns:
            info.layer = Layer::Dns;
            break;
        case ProbeKind::Icmp:
            info.layer = Layer::Icmp;
            info.usesName = !isLiteral(p->host);
            break;
        case ProbeKind::Tcp:
            info.layer = Layer::Tcp;
            info.usesName = !isLiteral(p->host);
            info.port = p->port;
            break;
        case ProbeKind::Http: {
            const bool bulk = id.contains(QLatin1String("bulk")) || p->url.path().startsWith(QLatin1String("/bytes/"));
            info.layer = bulk ? Layer::Bulk : p->url.scheme() == QLatin1String("https") ? Layer::Tls : Layer::Http;
            info.usesName = !isLiteral(p->url.host());
            if (info.fam == Fam::Any) {
                info.layer = Layer::App; // the tool picks the family: no per-family conclusion
            }
            break;
        }
        case ProbeKind::Mtu:
            info.layer = Layer::Path;
            info.usesName = !isLiteral(p->host);
            break;
        case ProbeKind::Package:
        case ProbeKind::Docker:
            info.layer = Layer::App;
            info.fam = Fam::Any;
            break;
        case ProbeKind::Shell:
            info.layer = Layer::Other;
            break;
        }
        return info;
    }
    // No plan text (an old or hand-made run): the built-in plan's ids.
    if (id.endsWith(QLatin1String("-ipv4")) || id.startsWith(QLatin1String("ipv4-")) || id == QLatin1String("dns-a")) {
        info.fam = Fam::V4;
    } else if (id.endsWith(QLatin1String("-ipv6")) || id.startsWith(QLatin1String("ipv6-"))
        || id == QLatin1String("dns-aaaa")) {
        info.fam = Fam::V6;
    }
    static const std::pair<const char *, Layer> prefixes[]
        = { { "bulk", Layer::Bulk }, { "https", Layer::Tls }, { "http", Layer::Http }, { "tcp", Layer::Tcp },
              { "icmp", Layer::Icmp }, { "dns", Layer::Dns }, { "mtu", Layer::Path }, { "resolver", Layer::Resolver },
              { "registry", Layer::App }, { "package", Layer::App }, { "docker", Layer::App } };
    for (const auto &[prefix, layer] : prefixes) {
        if (id.startsWith(QLatin1String(prefix))) {
            info.layer = layer;
            return info;
        }
    }
    if (id.endsWith(QLatin1String("-address"))) {
        info.layer = Layer::Address;
    } else if (id.endsWith(QLatin1String("-default-route"))) {
        info.layer = Layer::Route;
    }
    return info;
}

// ---- samples per probe and target -----------------------------------------------------------

bool isBad(SampleStatus s)
{
    return s == SampleStatus::Fail || s == SampleStatus::Timeout;
}

QString sampleText(const Sample &s)
{
    QStringList parts;
    if (!s.message.isEmpty()) {
        parts << s.message;
    }
    const QString err = QString::fromUtf8(s.stdErr).trimmed();
    if (!err.isEmpty() && !s.message.contains(err)) {
        parts << err;
    }
    // Lines that say why, from what the tool printed (ping's "From ... Destination unreachable").
    const QString out = QString::fromUtf8(s.stdOut);
    QStringList why;
    for (const QString &line : out.split(QLatin1Char('\n'))) {
        if (line.startsWith(QLatin1String("From ")) || line.contains(QLatin1String("unreachable"))) {
            why << line.trimmed();
        }
    }
    why.removeDuplicates();
    parts << why.mid(0, 2);
    if (parts.isEmpty() && !out.trimmed().isEmpty()) {
        parts << out.trimmed();
    }
    QString text = parts.join(QStringLiteral(" | "));
    if (text.size() > 300) {
        text = text.left(300) + QStringLiteral("...");
    }
    return text;
}

bool mentionsNameFailure(const Sample &s)
{
    static const QRegularExpression re(
        QStringLiteral(
            "Could not resolve|Resolving timed out|Name or service not known|Temporary failure in name resolution|"
            "bad address|unknown host|No address associated|Name does not resolve|no (A|AAAA) record|"
            "no IPv[46] address for"),
        QRegularExpression::CaseInsensitiveOption);
    return re.match(s.message + QLatin1Char('\n') + QString::fromUtf8(s.stdErr)).hasMatch();
}

/// Whether the sample shows that the name was resolved (so its failure is not about DNS).
bool showsResolvedAddress(const Sample &s)
{
    static const QRegularExpression ping(QStringLiteral("^PING [^(]*\\(([0-9a-fA-F.:]+)\\)"));
    if (ping.match(QString::fromUtf8(s.stdOut)).hasMatch()) {
        return true;
    }
    if (s.phasesMs.value(QStringLiteral("dns")) > 0 || s.phasesMs.value(QStringLiteral("connect")) > 0) {
        return true;
    }
    static const QRegularExpression literal(
        QStringLiteral("(^|\\s)([0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+|[0-9a-f]*:[0-9a-f:]+):"));
    return literal.match(QString::fromUtf8(s.stdErr)).hasMatch();
}

/// The address a probe reached or tried, from ping's first line, for the packets asked of the firewall.
QString resolvedAddress(const Sample &s)
{
    static const QRegularExpression ping(QStringLiteral("^PING [^(]*\\(([0-9a-fA-F.:]+)\\)"));
    const auto m = ping.match(QString::fromUtf8(s.stdOut));
    return m.hasMatch() ? m.captured(1) : QString();
}

struct Cell {
    QString probe;
    QString target;
    ProbeInfo info;
    QList<const Sample *> samples;
    int pass = 0;
    int bad = 0;
    int timeouts = 0;
    bool expectedToFail = false;
    mutable std::optional<bool> resolveCache; ///< resolveFailure(), once known
    int order = 0; ///< the probe's place in the run
    bool known() const { return pass + bad > 0; }
    bool passes() const { return pass > 0 && bad == 0; }
    bool fails() const { return bad > 0 && pass == 0; }
    const Sample *first(bool failing) const
    {
        for (const Sample *s : samples) {
            if (failing ? isBad(s->status) : s->status == SampleStatus::Pass) {
                return s;
            }
        }
        return nullptr;
    }
};

using CellKey = std::pair<QString, QString>; // probe, target

struct CellKeyHash {
    size_t operator()(const CellKey &k) const noexcept { return qHash(k.first) ^ (qHash(k.second) * 31u); }
};

// ---- the engine -----------------------------------------------------------------------------

class Engine {
public:
    Engine(const Topology &t, const Run &run, const Run *earlier)
        : m_t(t)
        , m_run(run)
        , m_earlier(earlier)
        , m_client(t.lxdClient.isEmpty() ? QStringLiteral("lxc") : t.lxdClient)
        , m_fw(t.firewall)
    {
    }

    Diagnosis run();

private:
    // cells
    void buildCells();
    QList<Cell *> cells(const QString &target, const std::function<bool(const Cell &)> &pred);
    Cell *cell(const QString &probe, const QString &target);
    bool claimed(const Cell &c) const { return m_claimed.contains({ c.probe, c.target }); }
    void claim(const QString &target, Fam fam, const std::function<bool(const Cell &)> &pred);
    void claimFamily(const QString &target, Fam fam);
    /// The finding for a runner whose default route's link (this family) is down.
    void describeUplinkDown(Finding &f, Fam fam, const TopoRoute &route, const TopoInterface &uplink);
    /// The interface of this family's default route when it is down (route set), else null.
    const TopoInterface *downUplink(Fam fam, std::optional<TopoRoute> *route) const;
    bool resolveFailure(const Cell &c) const;
    bool computeResolveFailure(const Cell &c) const;
    /// Outward (ICMP..bulk) cells of a family on a target whose result is not about DNS.
    QList<Cell *> ipCells(const QString &target, Fam fam, bool includeClaimed = false);
    bool ipFails(const QString &target, Fam fam, bool includeClaimed = false);
    bool ipPasses(const QString &target, Fam fam);
    std::optional<bool> fact(const QString &target, Layer layer, Fam fam);
    bool dnsFails(const QString &target);
    bool dnsPasses(const QString &target);

    // topology
    QString runner() const { return QStringLiteral("runner"); }
    QStringList instances() const { return m_instances; }
    const TopoNetwork *bridgeOf(const QString &instance) const;
    const TopoNetwork *findBridge(const QString &instance) const;
    const TopoInstance *instance(const QString &name) const;
    QString instanceAddress(const QString &instance, Fam fam) const;
    std::optional<bool> instanceHasAddress(const QString &instance, Fam fam);
    QString destinationFor(Fam fam);
    QString findDestination(Fam fam) const;
    QString uplinkFor(Fam fam) const;
    QString bridgeAddress(const TopoNetwork &n, Fam fam) const
    {
        return fam == Fam::V4 ? n.ipv4Address() : n.ipv6Address();
    }

    // evidence
    Evidence sampleEvidence(const Sample &s, const QString &note) const;
    Evidence fact(const QString &source, const QString &text, const QString &note) const
    {
        Evidence e;
        e.kind = Evidence::Kind::Fact;
        e.source = source;
        e.text = text;
        e.note = note;
        return e;
    }
    void addContrast(Finding &f, const QStringList &targets, Fam fam);
    QString configLine(const TopoNetwork &n, const QString &key) const;
    QString routeLine(const TopoRoute &r) const;
    /// Where policy routing sends a packet before the main table is asked: the first rule that
    /// decides (an action, or a table with a route for the destination) and that route; nothing
    /// when the main table (or no rule discovery knows) decides.
    struct Detour {
        const TopoRule *rule = nullptr;
        std::optional<TopoRoute> route; ///< empty for a rule action (blackhole, unreachable, prohibit)
    };
    std::optional<Detour> policyDetour(
        Fam fam, const QString &source, const QString &destination, const QString &inInterface) const;
    /// A route (main table, or another one when the ip rules are not known) more specific than the
    /// bridge's subnet that covers some of these instances and leaves through another link.
    QList<Finding> routeOverlaps(Fam fam, const QString &bridgeName, const QStringList &affected) const;
    std::optional<Finding> policyRouting(
        Fam fam, const QString &bridgeName, const QStringList &affected, const QString &uplink);

    // rules, in the order they claim symptoms
    void runnerItself();
    void proxyMissing();
    void runnerDns();
    void pathMtuBlackHole();
    void bridgeAddressing();
    void instanceFaults();
    void forwarding();
    void dns();
    void mtu();
    void tlsTrust();
    void singleInstance();
    void unexplained();

    void add(Finding f) { m_findings << std::move(f); }

    const Topology &m_t;
    const Run &m_run;
    const Run *m_earlier;
    const QString m_client;
    fwmodel::Firewall m_fw;
    std::optional<Plan> m_plan;
    QStringList m_instances;
    std::unordered_map<CellKey, Cell, CellKeyHash> m_cells; // references stay valid as it grows
    QStringList m_cellOrder;
    QSet<CellKey> m_claimed;
    QList<Finding> m_findings;
    QStringList m_notes;
    QString m_destination[2];
    QHash<QString, QList<Cell *>> m_byTarget;
    QHash<QString, const TopoInstance *> m_instanceIndex;
    mutable QHash<QString, const TopoNetwork *> m_bridgeCache;
};

void Engine::buildCells()
{
    if (!m_run.planText.isEmpty()) {
        auto plan = parsePlan(m_run.planText, m_run.planFile, m_run.variables);
        if (plan) {
            m_plan = plan.value();
        } else {
            m_notes << QStringLiteral("the run's plan did not parse (%1); probes are read by their ids")
                           .arg(plan.error().toString());
        }
    }
    QStringList targets = m_run.targets;
    QSet<QString> known(targets.cbegin(), targets.cend());
    for (const Sample &s : m_run.samples) {
        if (!known.contains(s.target)) {
            known.insert(s.target);
            targets << s.target;
        }
    }
    for (const QString &t : targets) {
        if (t != runner()) {
            m_instances << t;
        }
    }
    for (const Sample &s : m_run.samples) {
        const CellKey key { s.probeId, s.target };
        auto it = m_cells.find(key);
        if (it == m_cells.end()) {
            Cell c;
            c.probe = s.probeId;
            c.target = s.target;
            c.info = classify(s.probeId, m_plan ? &*m_plan : nullptr);
            c.expectedToFail = m_plan && !m_plan->expectsPass(s.probeId, s.target);
            it = m_cells.emplace(key, c).first;
            if (!m_cellOrder.contains(s.probeId)) {
                m_cellOrder << s.probeId;
            }
        }
        Cell &c = it->second;
        c.samples << &s;
        if (c.expectedToFail) {
            continue; // the plan's author expects it to fail here: not a symptom
        }
        if (s.status == SampleStatus::Pass) {
            ++c.pass;
        } else if (isBad(s.status)) {
            ++c.bad;
            if (s.status == SampleStatus::Timeout) {
                ++c.timeouts;
            }
        }
    }
    // Probe order as the run lists it, so lists in findings read like the matrix.
    QStringList ordered;
    for (const QString &p : m_run.probeIds) {
        if (m_cellOrder.contains(p)) {
            ordered << p;
        }
    }
    for (const QString &p : m_cellOrder) {
        if (!ordered.contains(p)) {
            ordered << p;
        }
    }
    m_cellOrder = ordered;
    // Indexes: cells per target in probe order, instances by name (runs have thousands of them).
    QHash<QString, int> rank;
    for (qsizetype i = 0; i < m_cellOrder.size(); ++i) {
        rank.insert(m_cellOrder.at(i), int(i));
    }
    for (auto &[key, c] : m_cells) {
        c.order = rank.value(c.probe);
        m_byTarget[c.target] << &c;
    }
    for (QList<Cell *> &list : m_byTarget) {
        std::sort(list.begin(), list.end(), [](const Cell *a, const Cell *b) {
            return a->order < b->order;
        });
    }
    for (const TopoInstance &i : m_t.instances) {
        m_instanceIndex.insert(i.name, &i);
    }
}

Cell *Engine::cell(const QString &probe, const QString &target)
{
    auto it = m_cells.find({ probe, target });
    return it == m_cells.end() ? nullptr : &it->second;
}

QList<Cell *> Engine::cells(const QString &target, const std::function<bool(const Cell &)> &pred)
{
    QList<Cell *> out;
    for (Cell *c : m_byTarget.value(target)) {
        if (pred(*c)) {
            out << c;
        }
    }
    return out;
}

const TopoInstance *Engine::instance(const QString &name) const
{
    return m_instanceIndex.value(name);
}

void Engine::claim(const QString &target, Fam fam, const std::function<bool(const Cell &)> &pred)
{
    for (Cell *c : cells(target, [&](const Cell &c) {
             return (fam == Fam::Any || c.info.fam == fam) && pred(c);
         })) {
        m_claimed.insert({ c->probe, c->target });
    }
}

void Engine::claimFamily(const QString &target, Fam fam)
{
    claim(target, fam, [](const Cell &) {
        return true;
    });
    // Probes where the tool picks the family fail with the family the target uses: once both
    // families of a target are explained, so are they.
    const bool other = cells(target, [&](const Cell &c) {
        return c.info.fam != Fam::Any && c.info.fam != fam && c.known() && c.fails() && !claimed(c);
    }).isEmpty();
    const bool otherWorks = ipPasses(target, fam == Fam::V4 ? Fam::V6 : Fam::V4);
    if (other && !otherWorks) {
        claim(target, Fam::Any, [](const Cell &c) {
            return c.info.fam == Fam::Any && c.info.layer != Layer::Resolver;
        });
    }
}

bool Engine::resolveFailure(const Cell &c) const
{
    if (!c.resolveCache) {
        c.resolveCache = computeResolveFailure(c);
    }
    return *c.resolveCache;
}

bool Engine::computeResolveFailure(const Cell &c) const
{
    if (!c.info.usesName || !c.fails()) {
        return false;
    }
    const Sample *s = c.first(true);
    if (!s) {
        return false;
    }
    if (mentionsNameFailure(*s)) {
        return true;
    }
    // A name-based probe on a target whose lookups all fail, without a sign that it got an address.
    return const_cast<Engine *>(this)->dnsFails(c.target) && !showsResolvedAddress(*s);
}

QList<Cell *> Engine::ipCells(const QString &target, Fam fam, bool includeClaimed)
{
    return cells(target, [&](const Cell &c) {
        return c.info.fam == fam && isOutward(c.info.layer) && c.known() && (includeClaimed || !claimed(c))
            && !resolveFailure(c);
    });
}

bool Engine::ipFails(const QString &target, Fam fam, bool includeClaimed)
{
    const QList<Cell *> list = ipCells(target, fam, includeClaimed);
    return !list.isEmpty() && std::none_of(list.cbegin(), list.cend(), [](const Cell *c) {
        return c->pass > 0;
    });
}

bool Engine::ipPasses(const QString &target, Fam fam)
{
    const QList<Cell *> list = cells(target, [&](const Cell &c) {
        return c.info.fam == fam && isOutward(c.info.layer) && c.known();
    });
    return std::any_of(list.cbegin(), list.cend(), [](const Cell *c) {
        return c->passes();
    });
}

std::optional<bool> Engine::fact(const QString &target, Layer layer, Fam fam)
{
    const QList<Cell *> list = cells(target, [&](const Cell &c) {
        return c.info.layer == layer && (fam == Fam::Any || c.info.fam == fam) && c.known();
    });
    if (list.isEmpty()) {
        return std::nullopt;
    }
    const Cell *c = list.first();
    if (c->fails() && c->timeouts == c->bad) {
        // A fact that only timed out (a loaded runner, a slow lxc exec) says nothing about the fact.
        return std::nullopt;
    }
    return c->passes();
}

bool Engine::dnsFails(const QString &target)
{
    const QList<Cell *> list = cells(target, [](const Cell &c) {
        return c.info.layer == Layer::Dns && c.known();
    });
    return !list.isEmpty() && std::all_of(list.cbegin(), list.cend(), [](const Cell *c) {
        return c->fails();
    });
}

bool Engine::dnsPasses(const QString &target)
{
    const QList<Cell *> list = cells(target, [](const Cell &c) {
        return c.info.layer == Layer::Dns && c.known();
    });
    return !list.isEmpty() && std::any_of(list.cbegin(), list.cend(), [](const Cell *c) {
        return c->passes();
    });
}

const TopoNetwork *Engine::bridgeOf(const QString &name) const
{
    const auto it = m_bridgeCache.constFind(name);
    if (it != m_bridgeCache.cend()) {
        return *it;
    }
    const TopoNetwork *n = findBridge(name);
    m_bridgeCache.insert(name, n);
    return n;
}

const TopoNetwork *Engine::findBridge(const QString &instance) const
{
    const TopoInstance *inst = this->instance(instance);
    if (inst) {
        for (const TopoNic &nic : inst->nics) {
            const TopoNetwork *n = m_t.network(nic.network);
            if (n && n->managed && n->type == QLatin1String("bridge")) {
                return n;
            }
        }
    }
    // The instance is not in the snapshot: with one managed bridge, it is that one.
    const TopoNetwork *only = nullptr;
    for (const TopoNetwork &n : m_t.networks) {
        if (n.managed && n.type == QLatin1String("bridge")) {
            if (only) {
                return nullptr;
            }
            only = &n;
        }
    }
    return only;
}

QString Engine::instanceAddress(const QString &instance, Fam fam) const
{
    if (const TopoInstance *inst = this->instance(instance)) {
        for (const TopoNic &nic : inst->nics) {
            for (const TopoAddress &a : nic.addresses) {
                if (a.family == toAF(fam) && a.isGlobal()) {
                    return a.address;
                }
            }
        }
    }
    return {};
}

std::optional<bool> Engine::instanceHasAddress(const QString &instance, Fam fam)
{
    const auto probed = fact(instance, Layer::Address, fam);
    if (probed) {
        return probed;
    }
    const TopoInstance *inst = this->instance(instance);
    if (!inst || inst->nics.isEmpty()) {
        return std::nullopt;
    }
    return !instanceAddress(instance, fam).isEmpty();
}

QString Engine::destinationFor(Fam fam)
{
    QString &cached = m_destination[fam == Fam::V4 ? 0 : 1];
    if (cached.isEmpty()) {
        cached = findDestination(fam);
    }
    return cached;
}

QString Engine::findDestination(Fam fam) const
{
    for (const Sample &s : m_run.samples) {
        const QString a = resolvedAddress(s);
        const QHostAddress h(a);
        if (!h.isNull() && (h.protocol() == QAbstractSocket::IPv4Protocol) == (fam == Fam::V4)) {
            return a;
        }
    }
    return fam == Fam::V4 ? QStringLiteral("192.0.2.10") : QStringLiteral("2001:db8::10");
}

QString Engine::uplinkFor(Fam fam) const
{
    if (const auto r = m_t.defaultRoute(toAF(fam))) {
        return r->device;
    }
    if (const auto r = m_t.defaultRoute(fam == Fam::V4 ? AF::IPv6 : AF::IPv4)) {
        return r->device;
    }
    return {};
}

Evidence Engine::sampleEvidence(const Sample &s, const QString &note) const
{
    Evidence e;
    e.kind = Evidence::Kind::Sample;
    e.probeId = s.probeId;
    e.target = s.target;
    e.repetition = s.repetition;
    e.status = toText(s.status);
    e.command = s.command;
    e.text = sampleText(s);
    e.note = note;
    if (m_earlier && isBad(s.status)) {
        for (const Sample &o : m_earlier->samples) {
            if (o.probeId == s.probeId && o.target == s.target && o.status == SampleStatus::Pass) {
                e.note += QStringLiteral(" It passed in the earlier run (%1).")
                              .arg(m_earlier->startedAt.toString(Qt::ISODate));
                break;
            }
        }
    }
    return e;
}

/// For each family: the runner passing a probe and each affected target failing the same probe.
void Engine::addContrast(Finding &f, const QStringList &targets, Fam fam)
{
    static const Layer preference[] = { Layer::Tcp, Layer::Tls, Layer::Http, Layer::Icmp, Layer::Bulk };
    for (const Layer layer : preference) {
        for (const QString &p : m_cellOrder) {
            Cell *r = cell(p, runner());
            if (!r || r->info.layer != layer || r->info.fam != fam) {
                continue;
            }
            QList<const Sample *> bad;
            for (const QString &t : targets) {
                Cell *c = cell(p, t);
                if (c && c->fails()) {
                    bad << c->first(true);
                }
            }
            if (bad.isEmpty()) {
                continue;
            }
            if (r->passes() && !targets.contains(runner())) {
                f.evidence << sampleEvidence(
                    *r->first(false), QStringLiteral("%1 passes on the runner (%2).").arg(p, famName(fam)));
            }
            for (const Sample *s : bad) {
                f.evidence << sampleEvidence(
                    *s, QStringLiteral("%1 fails on %2 (%3).").arg(p, s->target, famName(fam)));
            }
            return;
        }
    }
}

QString Engine::configLine(const TopoNetwork &n, const QString &key) const
{
    const QString v = n.config.value(key);
    return QStringLiteral("%1: %2").arg(key, v.isEmpty() ? QStringLiteral("(not set)") : v);
}

std::optional<Engine::Detour> Engine::policyDetour(
    Fam fam, const QString &source, const QString &destination, const QString &inInterface) const
{
    const auto af = toAF(fam);
    const auto covers = [&](const TopoRoute &r) {
        if (r.family != af) {
            return false;
        }
        if (r.isDefault()) {
            return true;
        }
        const auto net = QHostAddress::parseSubnet(r.destination);
        return !net.first.isNull() && QHostAddress(destination).isInSubnet(net);
    };
    const auto prefix = [](const TopoRoute &r) {
        return r.isDefault() ? 0 : QHostAddress::parseSubnet(r.destination).second;
    };
    for (const TopoRule &rule : m_t.rules) {
        if (rule.family != af || rule.table == QLatin1String("local")
            || !rule.selects(source, destination, inInterface)) {
            continue;
        }
        if (rule.table == QLatin1String("main") || rule.action == QLatin1String("nop")
            || rule.action == QLatin1String("goto")) {
            return std::nullopt; // the main table decides (goto: not followed)
        }
        if (!rule.action.isEmpty()) {
            return Detour { &rule, std::nullopt };
        }
        std::optional<TopoRoute> best;
        for (const TopoRoute &r : m_t.routes) {
            if (r.table == rule.table && covers(r) && (!best || prefix(r) > prefix(*best))) {
                best = r;
            }
        }
        if (!best) {
            continue; // the table has no route for it: the kernel goes on with the next rule
        }
        return Detour { &rule, best };
    }
    return std::nullopt;
}

std::optional<Finding> Engine::policyRouting(
    Fam fam, const QString &bridgeName, const QStringList &affected, const QString &uplink)
{
    if (m_t.rules.isEmpty()) {
        return std::nullopt;
    }
    const QString v = fam == Fam::V4 ? QStringLiteral("4") : QStringLiteral("6");
    const QString upstream = destinationFor(fam);
    const std::optional<TopoRoute> mainDefault = m_t.defaultRoute(toAF(fam));
    const auto offPath = [&](const Detour &d, const QString &ownDevice) {
        if (!d.route) {
            return true; // blackhole, unreachable, prohibit
        }
        const QString &type = d.route->type;
        if (type == QLatin1String("blackhole") || type == QLatin1String("unreachable")
            || type == QLatin1String("prohibit")) {
            return true;
        }
        return d.route->device != ownDevice;
    };
    const TopoRule *rule = nullptr;
    std::optional<TopoRoute> route;
    bool replies = false;
    QStringList covered;
    for (const QString &i : affected) {
        const QString a = instanceAddress(i, fam);
        if (a.isEmpty() || upstream.isEmpty()) {
            continue;
        }
        // out: from the instance, in on the bridge, towards upstream; back: the answer to it
        std::optional<Detour> d = policyDetour(fam, a, upstream, bridgeName);
        bool back = false;
        if (!d || !offPath(*d, mainDefault ? mainDefault->device : uplink)) {
            d = policyDetour(fam, upstream, a, uplink);
            back = true;
            if (!d || !offPath(*d, bridgeName)) {
                continue;
            }
        }
        if (!rule) {
            rule = d->rule;
            route = d->route;
            replies = back;
        }
        if (d->rule == rule) {
            covered << i;
        }
    }
    if (!rule) {
        return std::nullopt;
    }
    const QString source = QStringLiteral("ip -j -%1 rule show").arg(v);
    Finding f;
    f.id = QStringLiteral("policy-rule-diverts");
    f.title = QStringLiteral("A policy-routing rule sends %1's %2 traffic off the runner's path (%3)")
                  .arg(bridgeName, famName(fam), rule->line());
    const QString where = !route ? QStringLiteral("to \"%1\", which drops it").arg(rule->action)
        : route->device.isEmpty()
        ? QStringLiteral("to table %1, whose route \"%2\" drops it").arg(rule->table, routeLine(*route))
        : QStringLiteral("to table %1, whose route \"%2\" leaves through %3 instead of %4")
              .arg(rule->table, routeLine(*route), route->device,
                  replies ? bridgeName : (mainDefault ? mainDefault->device : uplink));
    f.cause = QStringLiteral("The runner's rule \"%1\" comes before the main table (priority 32766), so %2 from "
                             "%3 is routed %4. The runner's own traffic does not match the rule and goes out "
                             "through the main table, which is why the runner passes. Such rules come from VPN "
                             "clients (WireGuard, Tailscale, OpenVPN), source-based routing for a second uplink, "
                             "or a leftover of an earlier setup.")
                  .arg(rule->line(), replies ? QStringLiteral("every answer to") : QStringLiteral("what leaves"),
                      covered.join(QStringLiteral(", ")), where);
    f.targets = covered;
    f.families << famKey(fam);
    f.evidence << fact(source, rule->line(),
        QStringLiteral("Selects %1 traffic %2 %3.")
            .arg(famName(fam), replies ? QStringLiteral("to") : QStringLiteral("from"),
                covered.join(QStringLiteral(", "))));
    if (route) {
        f.evidence << fact(QStringLiteral("ip -j -%1 route show table all").arg(v), routeLine(*route),
            QStringLiteral("The route the rule's table gives for %1.").arg(replies ? covered.first() : upstream));
    }
    if (mainDefault) {
        f.evidence << fact(QStringLiteral("ip -j -%1 route show table all").arg(v), routeLine(*mainDefault),
            QStringLiteral("The main table's default, which the runner's own traffic takes."));
    }
    const QString selector = rule->line().section(QStringLiteral(": "), 1);
    const auto net = QHostAddress::parseSubnet(bridgeAddress(*m_t.network(bridgeName), fam));
    const QString subnet = net.first.isNull() ? QStringLiteral("<subnet>")
                                              : net.first.toString() + QLatin1Char('/') + QString::number(net.second);
    f.fix << FixStep { QStringLiteral("ip -%1 rule del priority %2").arg(v).arg(rule->priority),
        QStringLiteral("ip -%1 rule add %2 priority %3").arg(v, selector).arg(rule->priority),
        QStringLiteral("Remove the rule (and find what adds it: a VPN client's configuration, a netplan or "
                       "ifupdown routing policy, a script). To keep it, exempt the bridge's subnet with a rule "
                       "that comes first: ip -%1 rule add from %2 lookup main priority %3.")
            .arg(v, subnet)
            .arg(qMax(1, rule->priority - 1)) };
    f.checks << QStringLiteral("ip -%1 rule show").arg(v)
             << QStringLiteral("ip -%1 route get %2 from %3 iif %4")
                    .arg(v, upstream, instanceAddress(covered.first(), fam), bridgeName);
    f.references << QStringLiteral("https://man7.org/linux/man-pages/man8/ip-rule.8.html");
    return f;
}

QString Engine::routeLine(const TopoRoute &r) const
{
    QString line;
    if (!r.type.isEmpty() && r.type != QLatin1String("unicast")) {
        line = r.type + QLatin1Char(' ');
    }
    line += r.destination;
    if (!r.gateway.isEmpty()) {
        line += QStringLiteral(" via ") + r.gateway;
    }
    if (!r.device.isEmpty()) {
        line += QStringLiteral(" dev ") + r.device;
    }
    if (!r.table.isEmpty() && r.table != QLatin1String("main")) {
        line += QStringLiteral(" table ") + r.table;
    }
    if (!r.protocol.isEmpty()) {
        line += QStringLiteral(" proto ") + r.protocol;
    }
    if (r.metric > 0) {
        line += QStringLiteral(" metric ") + QString::number(r.metric);
    }
    return line;
}

// ---- rules ----------------------------------------------------------------------------------

void Engine::runnerItself()
{
    for (const Fam fam : { Fam::V4, Fam::V6 }) {
        if (!ipFails(runner(), fam)) {
            continue;
        }
        const auto route = m_t.defaultRoute(toAF(fam));
        const auto routeFact = fact(runner(), Layer::Route, fam);
        const bool topoKnowsRoutes = std::any_of(m_t.routes.cbegin(), m_t.routes.cend(), [&](const TopoRoute &r) {
            return r.family == toAF(fam);
        });
        Finding f;
        f.families << famKey(fam);
        f.targets << runner();
        const QString v = fam == Fam::V4 ? QStringLiteral("-4") : QStringLiteral("-6");
        if ((routeFact && !*routeFact) || (topoKnowsRoutes && !route)) {
            f.id = QStringLiteral("runner-no-default-route");
            f.title = QStringLiteral("The runner itself has no %1 default route").arg(famName(fam));
            f.cause
                = QStringLiteral("The runner has no %1 default route, so nothing it sends over %1 leaves it: its own "
                                 "probes fail with \"Network is unreachable\" and so does everything its instances "
                                 "send over %1. This is the runner's own network configuration, not LXD.")
                      .arg(famName(fam));
            if (Cell *c
                = cell(fam == Fam::V4 ? QStringLiteral("ipv4-default-route") : QStringLiteral("ipv6-default-route"),
                    runner())) {
                if (const Sample *s = c->first(true)) {
                    f.evidence << sampleEvidence(*s, QStringLiteral("The runner reports no default route."));
                }
            }
            if (topoKnowsRoutes && !route) {
                f.evidence << fact(QStringLiteral("ip -j %1 route show table all").arg(v),
                    QStringLiteral("(no default route in table main)"),
                    QStringLiteral("Discovery found %1 routes, none of them a default route.").arg(famName(fam)));
            }
            f.confidence = Confidence::High;
            f.confidenceReason = QStringLiteral("the runner's own probes fail and the runner has no default route");
            f.checks << QStringLiteral("ip %1 route show table all").arg(v) << QStringLiteral("ip rule show");
            if (fam == Fam::V6) {
                // A runner without IPv6 is often meant to be so; then its bridges should not hand out
                // IPv6 either, or programs that prefer AAAA answers fail in the instances.
                for (const TopoNetwork &n : m_t.networks) {
                    if (n.managed && n.type == QLatin1String("bridge") && topo::hasSubnet(n.ipv6Address())) {
                        f.fix << FixStep { QStringLiteral("%1 network set %2 ipv6.address none").arg(m_client, n.name),
                            QStringLiteral("%1 network set %2 ipv6.address %3").arg(m_client, n.name, n.ipv6Address()),
                            QStringLiteral("If the runner is meant to be IPv4-only: stop handing out IPv6 on %1, so "
                                           "the instances use IPv4 as the runner does.")
                                .arg(n.name) };
                    }
                }
            }
        } else {
            const TopoInterface *uplink = route ? m_t.interface(route->device) : nullptr;
            const bool down = uplink
                && (uplink->state == QLatin1String("DOWN") || uplink->state == QLatin1String("LOWERLAYERDOWN"));
            if (down) {
                describeUplinkDown(f, fam, *route, *uplink);
            } else {
                f.id = QStringLiteral("runner-upstream");
                f.title = QStringLiteral("The runner itself cannot reach the outside over %1").arg(famName(fam));
                f.cause = QStringLiteral("The runner's own %1 probes fail although it has an address and a default "
                                         "route%2. Its uplink, its gateway or the network beyond does not carry the "
                                         "traffic. The instances are not the problem: whatever they send goes the "
                                         "same way.")
                              .arg(famName(fam), route ? QStringLiteral(" (%1)").arg(routeLine(*route)) : QString());
                if (route) {
                    f.evidence << fact(QStringLiteral("ip -j %1 route show table all").arg(v), routeLine(*route),
                        QStringLiteral("The default route the runner uses."));
                }
                f.confidence = Confidence::High;
                f.confidenceReason = QStringLiteral(
                    "every %1 probe fails on the runner itself, the vantage point that does not involve LXD")
                                         .arg(famName(fam));
                if (route) {
                    f.checks << QStringLiteral("ping %1 -c 3 %2")
                                    .arg(v, route->gateway.isEmpty() ? route->device : route->gateway);
                }
                f.checks << QStringLiteral("ip %1 route get %2").arg(v, destinationFor(fam));
            }
        }
        for (Cell *c : ipCells(runner(), fam)) {
            if (const Sample *s = c->first(true)) {
                f.evidence << sampleEvidence(*s, QStringLiteral("%1 fails on the runner itself.").arg(c->probe));
                break;
            }
        }
        claimFamily(runner(), fam);
        QStringList also;
        for (const QString &i : m_instances) {
            if (ipFails(i, fam)) {
                also << i;
                claimFamily(i, fam);
            }
        }
        if (!also.isEmpty()) {
            f.targets << also;
            f.cause += QStringLiteral(" %1 fail%2 the same way.")
                           .arg(also.join(QStringLiteral(", ")), also.size() == 1 ? QStringLiteral("s") : QString());
        } else if (f.id == QLatin1String("runner-upstream")) {
            bool instancesPass = false;
            for (const QString &i : m_instances) {
                instancesPass = instancesPass || ipPasses(i, fam);
            }
            if (instancesPass) {
                f.cause = QStringLiteral("The runner's own %1 probes fail while its instances pass the same ones: what "
                                         "the runner itself sends is blocked (its OUTPUT chain, a proxy setting "
                                         "the probes do not use, a local resolver override), not what it forwards.")
                              .arg(famName(fam));
                f.confidence = Confidence::Medium;
                f.confidenceReason = QStringLiteral("only the runner fails; the run does not show what blocks it");
                f.checks << QStringLiteral("iptables -S OUTPUT") << QStringLiteral("env | grep -i _proxy");
            }
        }
        add(f);
    }
    runnerDns();
}

void Engine::describeUplinkDown(Finding &f, Fam fam, const TopoRoute &route, const TopoInterface &uplink)
{
    const QString v = fam == Fam::V4 ? QStringLiteral("-4") : QStringLiteral("-6");
    f.id = QStringLiteral("runner-uplink-down");
    f.title = QStringLiteral("The runner's uplink %1 has no carrier (%2)").arg(uplink.name, famName(fam));
    f.cause = QStringLiteral("The %1 default route leaves through %2, whose state is %3: the link has no "
                             "carrier, so the runner reaches nothing upstream and neither do its "
                             "instances.")
                  .arg(famName(fam), uplink.name, uplink.state);
    f.evidence << fact(QStringLiteral("ip -j %1 route show table all").arg(v), routeLine(route),
        QStringLiteral("The default route uses %1.").arg(uplink.name));
    f.evidence << fact(QStringLiteral("ip -j -d addr"),
        QStringLiteral("%1: state %2 mtu %3").arg(uplink.name, uplink.state).arg(uplink.mtu),
        QStringLiteral("The uplink is not up."));
    f.confidence = Confidence::High;
    f.confidenceReason = QStringLiteral("the runner's own probes fail and its uplink is down");
    f.checks << QStringLiteral("ip link show dev %1").arg(uplink.name);
    if (uplink.kind == QLatin1String("ether") || uplink.kind.isEmpty()) {
        f.checks << QStringLiteral("ethtool %1").arg(uplink.name);
    }
}

const TopoInterface *Engine::downUplink(Fam fam, std::optional<TopoRoute> *route) const
{
    *route = m_t.defaultRoute(toAF(fam));
    const TopoInterface *uplink = *route ? m_t.interface((*route)->device) : nullptr;
    const bool down
        = uplink && (uplink->state == QLatin1String("DOWN") || uplink->state == QLatin1String("LOWERLAYERDOWN"));
    return down ? uplink : nullptr;
}

void Engine::runnerDns()
{
    if (!dnsFails(runner())) {
        return;
    }
    // Every name fails on the runner, and the link its default route leaves through is down: the
    // resolver is out of reach behind it. That is the cause, not the resolver (every probe needs a
    // name, so the IP probes could not show the dead link on their own).
    for (const Fam fam : { Fam::V4, Fam::V6 }) {
        std::optional<TopoRoute> route;
        if (const TopoInterface *uplink = downUplink(fam, &route)) {
            Finding f;
            f.families << famKey(fam);
            f.targets << runner();
            describeUplinkDown(f, fam, *route, *uplink);
            f.cause += QStringLiteral(" Every lookup fails too: the runner's resolvers are reached through it.");
            for (Cell *c : cells(runner(), [this](const Cell &c) {
                     return c.info.layer == Layer::Dns || resolveFailure(c);
                 })) {
                if (const Sample *s = c->first(true)) {
                    f.evidence << sampleEvidence(*s, QStringLiteral("%1 fails on the runner itself.").arg(c->probe));
                    break;
                }
            }
            claim(runner(), Fam::Any, [this](const Cell &c) {
                return c.info.layer == Layer::Dns || resolveFailure(c) || c.fails();
            });
            for (const QString &i : m_instances) {
                if (dnsFails(i) || ipFails(i, fam)) {
                    f.targets << i;
                    claim(i, Fam::Any, [this](const Cell &c) {
                        return c.info.layer == Layer::Dns || resolveFailure(c) || c.fails();
                    });
                }
            }
            add(f);
            return;
        }
    }
    Finding f;
    f.id = QStringLiteral("runner-dns-down");
    f.title = QStringLiteral("The runner's own resolver does not answer");
    QStringList servers;
    static const QRegularExpression ns(
        QStringLiteral("^\\s*nameserver\\s+(\\S+)"), QRegularExpression::MultilineOption);
    for (auto it = ns.globalMatch(m_t.resolvConf); it.hasNext();) {
        servers << it.next().captured(1);
    }
    f.cause = QStringLiteral("Lookups fail on the runner itself%1. The instances' DNS goes through the bridge's "
                             "dnsmasq, which asks the runner's upstream servers, so it fails with it: this is the "
                             "runner's resolver (or the path to it), not LXD.")
                  .arg(servers.isEmpty() ? QString()
                                         : QStringLiteral(" (it asks %1)").arg(servers.join(QStringLiteral(", "))));
    f.targets << runner();
    for (Cell *c : cells(runner(), [](const Cell &c) {
             return c.info.layer == Layer::Dns && c.fails();
         })) {
        f.evidence << sampleEvidence(*c->first(true), QStringLiteral("The lookup fails on the runner."));
        break;
    }
    if (!m_t.resolvConf.isEmpty()) {
        f.evidence << fact(QStringLiteral("cat /etc/resolv.conf"), m_t.resolvConf.trimmed(),
            QStringLiteral("The servers the runner asks."));
    }
    claim(runner(), Fam::Any, [this](const Cell &c) {
        return c.info.layer == Layer::Dns || resolveFailure(c);
    });
    for (const QString &i : m_instances) {
        if (dnsFails(i)) {
            f.targets << i;
            claim(i, Fam::Any, [this](const Cell &c) {
                return c.info.layer == Layer::Dns || resolveFailure(c);
            });
        }
    }
    const bool ipWorks = ipPasses(runner(), Fam::V4) || ipPasses(runner(), Fam::V6);
    f.confidence = ipWorks ? Confidence::High : Confidence::Medium;
    f.confidenceReason = ipWorks
        ? QStringLiteral("lookups fail on the runner while its traffic to addresses works")
        : QStringLiteral("lookups fail on the runner; every other probe needs a name, so whether IP works could "
                         "not be checked on its own");
    for (const QString &server : servers) {
        f.checks << QStringLiteral("nslookup %1 %2")
                        .arg(m_run.variables.value(QStringLiteral("dns_name"), QStringLiteral("example.com")), server);
    }
    f.checks << QStringLiteral("resolvectl status");
    add(f);
}

void Engine::pathMtuBlackHole()
{
    for (const Fam fam : { Fam::V4, Fam::V6 }) {
        const QList<Cell *> runnerBulk = cells(runner(), [&](const Cell &c) {
            return c.info.layer == Layer::Bulk && c.info.fam == fam && c.passes();
        });
        if (runnerBulk.isEmpty()) {
            continue; // without a bulk probe passing on the runner there is nothing to compare
        }
        QStringList affected;
        QList<const Sample *> stalls;
        QList<const Sample *> smalls;
        for (const QString &i : m_instances) {
            Cell *bulk = cell(runnerBulk.first()->probe, i);
            if (!bulk || !bulk->fails() || claimed(*bulk) || resolveFailure(*bulk)) {
                continue;
            }
            const QList<Cell *> small = cells(i, [&](const Cell &c) {
                return c.info.fam == fam && (c.info.layer == Layer::Http || c.info.layer == Layer::Tcp) && c.passes();
            });
            if (small.isEmpty()) {
                continue;
            }
            affected << i;
            stalls << bulk->first(true);
            smalls << small.first()->first(false);
        }
        if (affected.isEmpty()) {
            continue;
        }
        const QString uplink = uplinkFor(fam);
        Finding f;
        f.id = QStringLiteral("path-mtu-black-hole");
        f.title = QStringLiteral("Large %1 transfers stall from %2 while small requests pass")
                      .arg(famName(fam), affected.join(QStringLiteral(", ")));
        f.cause = QStringLiteral("Small %1 requests work from %2, but a bulk transfer stalls, and the same transfer "
                                 "passes on the runner: full-size packets from the instances are lost on the way and "
                                 "the \"packet too big\" messages that would make them smaller do not come back (ICMP "
                                 "filtered somewhere, or a tunnel with a lower MTU). The runner's own connections "
                                 "negotiate a smaller segment size from its uplink; the instances' do not.")
                      .arg(famName(fam), affected.join(QStringLiteral(", ")));
        f.targets = affected;
        f.families << famKey(fam);
        f.evidence << sampleEvidence(
            *runnerBulk.first()->first(false), QStringLiteral("The bulk transfer passes on the runner."));
        for (qsizetype k = 0; k < affected.size(); ++k) {
            f.evidence << sampleEvidence(
                *stalls.at(k), QStringLiteral("The bulk transfer stalls on %1.").arg(affected.at(k)))
                       << sampleEvidence(
                              *smalls.at(k), QStringLiteral("A small request passes on %1.").arg(affected.at(k)));
        }
        const QString tool = fam == Fam::V4 ? QStringLiteral("iptables") : QStringLiteral("ip6tables");
        const QString rule = QStringLiteral("FORWARD%1 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu")
                                 .arg(uplink.isEmpty() ? QString() : QStringLiteral(" -o ") + uplink);
        f.fix << FixStep { QStringLiteral("%1 -t mangle -A %2").arg(tool, rule),
            QStringLiteral("%1 -t mangle -D %2").arg(tool, rule),
            QStringLiteral("Clamp the TCP segment size of forwarded connections to the path MTU.") };
        f.checks << QStringLiteral("%1 exec %2 -- ping -%3 -M do -s 1472 -c 1 %4")
                        .arg(m_client, affected.first(), fam == Fam::V4 ? QStringLiteral("4") : QStringLiteral("6"),
                            destinationFor(fam));
        f.references << QStringLiteral("https://www.rfc-editor.org/rfc/rfc2923")
                     << QStringLiteral("https://wiki.nftables.org/wiki-nftables/index.php/Mangling_packet_headers");
        f.confidence = Confidence::Medium;
        f.confidenceReason
            = QStringLiteral("small requests pass and bulk transfers stall only on the instances; the run "
                             "cannot show where on the path the packets are lost");
        for (const QString &i : affected) {
            claim(i, fam, [](const Cell &c) {
                return c.info.layer == Layer::Bulk || c.info.layer == Layer::Path || c.info.layer == Layer::Tls;
            });
        }
        add(f);
    }
}

void Engine::bridgeAddressing()
{
    for (const Fam fam : { Fam::V4, Fam::V6 }) {
        QStringList affected;
        const TopoNetwork *bridge = nullptr;
        for (const QString &i : m_instances) {
            const TopoNetwork *n = bridgeOf(i);
            if (!n || topo::hasSubnet(bridgeAddress(*n, fam)) || !instance(i)) {
                continue;
            }
            if (instanceHasAddress(i, fam).value_or(true)) {
                continue;
            }
            bridge = n;
            affected << i;
        }
        if (affected.isEmpty()) {
            continue;
        }
        const Fam other = fam == Fam::V4 ? Fam::V6 : Fam::V4;
        // Does the other family take the instances anywhere? If not, and the runner lacks that family
        // too, the instances reach nothing: the IPv6-only-on-an-IPv4-runner case.
        const bool otherDead = std::all_of(affected.cbegin(), affected.cend(), [&](const QString &i) {
            return ipFails(i, other) || ipCells(i, other).isEmpty();
        });
        const bool runnerOtherDead = ipFails(runner(), other) || !m_t.defaultRoute(toAF(other));
        const bool runnerHasFam = ipPasses(runner(), fam);
        const QString key = fam == Fam::V4 ? QStringLiteral("ipv4.address") : QStringLiteral("ipv6.address");
        const QString value = bridge->config.value(key);
        Finding f;
        const bool onlyOther = fam == Fam::V4 && topo::hasSubnet(bridge->ipv6Address()) && otherDead && runnerOtherDead;
        if (onlyOther) {
            f.id = QStringLiteral("ipv6-only-no-uplink");
            f.title
                = QStringLiteral("IPv6-only instances on %1, and the runner has no IPv6 path out").arg(bridge->name);
            f.cause = QStringLiteral(
                "%1 hands out no IPv4 (%2), so %3 have only IPv6 (%4); the runner itself has no IPv6 way out (no "
                "IPv6 default route, its own IPv6 probes fail), so every connection from the instances dies at "
                "the runner with \"no route\". The runner works over IPv4, which its instances do not have.")
                          .arg(bridge->name, configLine(*bridge, key), affected.join(QStringLiteral(", ")),
                              bridge->ipv6Address());
            f.families << QStringLiteral("ipv4") << QStringLiteral("ipv6");
        } else {
            f.id = fam == Fam::V4 ? QStringLiteral("bridge-no-ipv4") : QStringLiteral("bridge-no-ipv6");
            f.title = QStringLiteral("%1 hands out no %2 address").arg(bridge->name, famName(fam));
            f.cause
                = QStringLiteral("%1 has %2, so %3 get no %4 address and reach nothing over %4%5.")
                      .arg(bridge->name, configLine(*bridge, key), affected.join(QStringLiteral(", ")), famName(fam),
                          runnerHasFam ? QStringLiteral(", which the runner itself uses fine") : QString());
            f.families << famKey(fam);
        }
        f.targets = affected;
        f.evidence << fact(QStringLiteral("%1 network show %2").arg(m_client, bridge->name), configLine(*bridge, key),
            QStringLiteral("The bridge has no %1 subnet.").arg(famName(fam)));
        for (const QString &i : affected) {
            if (Cell *c = cell(fam == Fam::V4 ? QStringLiteral("ipv4-address") : QStringLiteral("ipv6-address"), i)) {
                if (const Sample *s = c->first(true)) {
                    f.evidence << sampleEvidence(*s, QStringLiteral("%1 has no %2 address.").arg(i, famName(fam)));
                }
            }
        }
        if (onlyOther) {
            if (!m_t.defaultRoute(AF::IPv6)) {
                f.evidence << fact(QStringLiteral("ip -j -6 route show table all"),
                    QStringLiteral("(no default route in table main)"),
                    QStringLiteral("The runner has no IPv6 default route."));
            }
            if (Cell *c = cell(QStringLiteral("ipv6-default-route"), runner())) {
                if (const Sample *s = c->first(true)) {
                    f.evidence << sampleEvidence(*s, QStringLiteral("The runner reports no IPv6 default route."));
                }
            }
            addContrast(f, affected, Fam::V4);
            for (Cell *c : ipCells(runner(), Fam::V6)) {
                if (const Sample *s = c->first(true)) {
                    f.evidence << sampleEvidence(*s, QStringLiteral("%1 fails on the runner too.").arg(c->probe));
                    break;
                }
            }
            for (Cell *c : ipCells(affected.first(), Fam::V6)) {
                if (const Sample *s = c->first(true)) {
                    f.evidence << sampleEvidence(*s, QStringLiteral("%1 fails on %2.").arg(c->probe, affected.first()));
                    break;
                }
            }
        } else {
            addContrast(f, affected, fam);
        }
        const bool probedRunner = onlyOther ? ipFails(runner(), Fam::V6) : runnerHasFam;
        f.confidence = probedRunner ? Confidence::High : Confidence::Medium;
        f.confidenceReason = probedRunner
            ? QStringLiteral("the bridge's config, the instances' missing address and the runner's own probes agree")
            : QStringLiteral("the bridge's config and the instances agree, but the runner's own %1 probes did not "
                             "run or did not pass")
                  .arg(famName(fam));
        if (fam == Fam::V6) {
            // A bridge without IPv6 is often meant so; with IPv4 working it costs only IPv6-only hosts.
            f.confidence = Confidence::Low;
            f.confidenceReason = QStringLiteral("a bridge without IPv6 is often deliberate; it matters for hosts "
                                                "reachable over IPv6 alone, and IPv4 decides the rest");
        }
        f.fix << FixStep { QStringLiteral("%1 network set %2 %3 auto").arg(m_client, bridge->name, key),
            value.isEmpty() ? QStringLiteral("%1 network unset %2 %3").arg(m_client, bridge->name, key)
                            : QStringLiteral("%1 network set %2 %3 %4").arg(m_client, bridge->name, key, value),
            QStringLiteral("Give the bridge an %1 subnet (LXD picks a free private range); the instances get an "
                           "address at their next DHCP renewal or restart.")
                .arg(famName(fam)) };
        const QString natKey = fam == Fam::V4 ? QStringLiteral("ipv4.nat") : QStringLiteral("ipv6.nat");
        if (bridge->config.value(natKey) != QLatin1String("true")) {
            const QString old = bridge->config.value(natKey);
            f.fix << FixStep { QStringLiteral("%1 network set %2 %3 true").arg(m_client, bridge->name, natKey),
                old.isEmpty() ? QStringLiteral("%1 network unset %2 %3").arg(m_client, bridge->name, natKey)
                              : QStringLiteral("%1 network set %2 %3 %4").arg(m_client, bridge->name, natKey, old),
                QStringLiteral("NAT the new private subnet behind the runner's address.") };
        }
        for (const QString &i : affected) {
            f.checks << QStringLiteral("%1 exec %2 -- ip -%3 addr")
                            .arg(m_client, i, fam == Fam::V4 ? QStringLiteral("4") : QStringLiteral("6"));
        }
        f.references << QStringLiteral("https://documentation.ubuntu.com/lxd/en/latest/reference/network_bridge/")
                     << QStringLiteral("https://docs.kernel.org/networking/ipv6.html");
        for (const QString &i : affected) {
            claimFamily(i, fam);
            if (onlyOther) {
                claimFamily(i, Fam::V6);
            }
        }
        if (onlyOther) {
            claimFamily(runner(), Fam::V6);
        }
        add(f);
    }
}

void Engine::instanceFaults()
{
    struct Group {
        Finding finding;
    };
    std::map<QString, Finding> byId;
    auto group = [&](const QString &id) -> Finding & {
        Finding &f = byId[id];
        f.id = id;
        return f;
    };
    for (const Fam fam : { Fam::V4, Fam::V6 }) {
        const QString n4 = fam == Fam::V4 ? QStringLiteral("4") : QStringLiteral("6");
        for (const QString &i : m_instances) {
            const TopoNetwork *bridge = bridgeOf(i);
            if (!bridge || !topo::hasSubnet(bridgeAddress(*bridge, fam))) {
                continue;
            }
            const auto has = instanceHasAddress(i, fam);
            const bool outwardBroken = ipFails(i, fam) || ipCells(i, fam).isEmpty();
            if (has && !*has && outwardBroken) {
                Finding &f = group(QStringLiteral("instance-no-address"));
                f.targets << i;
                if (!f.families.contains(famKey(fam))) {
                    f.families << famKey(fam);
                }
                if (Cell *c = cell(QStringLiteral("ipv%1-address").arg(n4), i)) {
                    if (const Sample *s = c->first(true)) {
                        f.evidence << sampleEvidence(
                            *s, QStringLiteral("%1 has no global %2 address.").arg(i, famName(fam)));
                    }
                }
                f.evidence << fact(QStringLiteral("%1 network show %2").arg(m_client, bridge->name),
                    configLine(
                        *bridge, fam == Fam::V4 ? QStringLiteral("ipv4.address") : QStringLiteral("ipv6.address")),
                    QStringLiteral("The bridge does hand out %1.").arg(famName(fam)));
                bool leased = false;
                for (const TopoLease &l : m_t.leases) {
                    if (l.hostname == i && l.network == bridge->name
                        && (QHostAddress(l.address).protocol() == QAbstractSocket::IPv4Protocol) == (fam == Fam::V4)) {
                        leased = true;
                    }
                }
                if (!leased) {
                    f.evidence << fact(QStringLiteral("%1 query /1.0/networks/%2/leases").arg(m_client, bridge->name),
                        QStringLiteral("(no %1 lease for %2)").arg(famName(fam), i),
                        QStringLiteral("dnsmasq gave %1 no lease.").arg(i));
                }
                f.checks << QStringLiteral("%1 exec %2 -- ip -%3 addr").arg(m_client, i, n4)
                         << QStringLiteral("%1 network list-leases %2").arg(m_client, bridge->name)
                         << QStringLiteral("%1 exec %2 -- ps").arg(m_client, i);
                f.fix << FixStep { QStringLiteral("%1 restart %2").arg(m_client, i), QString(),
                    QStringLiteral("Restart %1 so that its network configuration (DHCP client, SLAAC) runs again; "
                                   "nothing to revert. If it still gets no address, its image starts no DHCP client.")
                        .arg(i) };
                claimFamily(i, fam);
                continue;
            }
            if (has.value_or(false)) {
                const auto route = fact(i, Layer::Route, fam);
                if (route && !*route && outwardBroken) {
                    Finding &f = group(QStringLiteral("instance-no-default-route"));
                    f.targets << i;
                    if (!f.families.contains(famKey(fam))) {
                        f.families << famKey(fam);
                    }
                    if (Cell *c = cell(QStringLiteral("ipv%1-default-route").arg(n4), i)) {
                        if (const Sample *s = c->first(true)) {
                            f.evidence << sampleEvidence(
                                *s, QStringLiteral("%1 has an address but no default route.").arg(i));
                        }
                    }
                    f.checks << QStringLiteral("%1 exec %2 -- ip -%3 route").arg(m_client, i, n4);
                    f.fix << FixStep { QStringLiteral("%1 restart %2").arg(m_client, i), QString(),
                        QStringLiteral("Restart %1 so that DHCP (IPv4) or router advertisements (IPv6) install its "
                                       "default route; nothing to revert.")
                            .arg(i) };
                    claimFamily(i, fam);
                }
            }
        }
    }
    for (const QString &i : m_instances) {
        const auto resolver = fact(i, Layer::Resolver, Fam::Any);
        if (resolver && !*resolver && dnsFails(i)) {
            Finding &f = group(QStringLiteral("instance-no-resolver"));
            f.targets << i;
            if (Cell *c = cell(QStringLiteral("resolver"), i)) {
                if (const Sample *s = c->first(true)) {
                    f.evidence << sampleEvidence(*s, QStringLiteral("%1 has no nameserver.").arg(i));
                }
            }
            f.checks << QStringLiteral("%1 exec %2 -- cat /etc/resolv.conf").arg(m_client, i);
            f.fix << FixStep {
                QStringLiteral("%1 restart %2").arg(m_client, i), QString(),
                QStringLiteral("Restart %1 so that its DHCP client writes resolv.conf again; nothing to revert.").arg(i)
            };
            claim(i, Fam::Any, [this](const Cell &c) {
                return c.info.layer == Layer::Dns || c.info.layer == Layer::Resolver || resolveFailure(c);
            });
        }
    }
    for (auto &[id, f] : byId) {
        f.targets.removeDuplicates();
        f.checks.removeDuplicates();
        f.fix.erase(std::unique(f.fix.begin(), f.fix.end()), f.fix.end());
        const QString who = f.targets.join(QStringLiteral(", "));
        if (id == QLatin1String("instance-no-address")) {
            f.title = QStringLiteral("%1: no %2 address from the bridge")
                          .arg(who,
                              f.families.join(QStringLiteral("/"))
                                  .toUpper()
                                  .replace(QStringLiteral("IPV"), QStringLiteral("IPv")));
            f.cause = QStringLiteral("%1 run%2 without an address the bridge hands out, so %3 reach nothing in that "
                                     "family. The bridge and the runner are fine in it; the instance did not take a "
                                     "lease: no DHCP client (or no SLAAC) runs in it, or it is configured statically.")
                          .arg(who, f.targets.size() == 1 ? QStringLiteral("s") : QString(),
                              f.targets.size() == 1 ? QStringLiteral("it cannot") : QStringLiteral("they cannot"));
        } else if (id == QLatin1String("instance-no-default-route")) {
            f.title = QStringLiteral("%1: an address but no default route").arg(who);
            f.cause = QStringLiteral("%1 has an address but no default route, so it reaches only its own subnet. The "
                                     "runner and the bridge are fine; the instance's network configuration did not "
                                     "install the route the bridge advertises.")
                          .arg(who);
        } else {
            f.title = QStringLiteral("%1: no nameserver").arg(who);
            f.cause = QStringLiteral("%1 has no nameserver in /etc/resolv.conf, so no name resolves there; the "
                                     "runner resolves fine.")
                          .arg(who);
        }
        const bool siblings = m_instances.size() > f.targets.size();
        f.confidence = Confidence::High;
        f.confidenceReason = siblings
            ? QStringLiteral("the instance's own report and its siblings on the same bridge agree")
            : QStringLiteral("the instance reports it itself");
        add(f);
    }
}

QList<Finding> Engine::routeOverlaps(Fam fam, const QString &bridgeName, const QStringList &affected) const
{
    QList<Finding> found;
    const TopoNetwork *bridge = m_t.network(bridgeName);
    if (!bridge) {
        return found;
    }
    const QString v = fam == Fam::V4 ? QStringLiteral("4") : QStringLiteral("6");
    const QString subnet = bridgeAddress(*bridge, fam);
    const auto bridgeNet = QHostAddress::parseSubnet(subnet);
    if (!bridgeNet.first.isNull()) {
        for (const TopoRoute &r : m_t.routes) {
            if (r.family != toAF(fam) || r.isDefault() || r.table == QLatin1String("local") || r.device == bridgeName) {
                continue;
            }
            const auto rn = QHostAddress::parseSubnet(r.destination.contains(QLatin1Char('/'))
                    ? r.destination
                    : r.destination + (fam == Fam::V4 ? QStringLiteral("/32") : QStringLiteral("/128")));
            if (rn.first.isNull() || rn.second < bridgeNet.second || !rn.first.isInSubnet(bridgeNet)) {
                continue;
            }
            QStringList covered;
            for (const QString &i : affected) {
                const QString a = instanceAddress(i, fam);
                if (!a.isEmpty() && QHostAddress(a).isInSubnet(rn)) {
                    covered << i;
                }
            }
            if (covered.isEmpty()) {
                continue;
            }
            if (r.table != QLatin1String("main") && !m_t.rules.isEmpty()) {
                continue; // the rules are known: policyRouting() says whether one selects this table
            }
            Finding f;
            f.id = QStringLiteral("route-overlaps-bridge");
            f.title = QStringLiteral("A route sends part of %1's subnet elsewhere (%2)").arg(bridgeName, r.destination);
            const bool main = r.table == QLatin1String("main");
            f.cause = QStringLiteral("The runner has the route \"%1\", more specific than %2's own %3, so "
                                     "whatever the runner sends to %4 (among it every answer from outside) "
                                     "goes %5 instead of onto the bridge. %6")
                          .arg(routeLine(r), bridgeName, subnet, covered.join(QStringLiteral(", ")),
                              r.device.isEmpty() ? QStringLiteral("nowhere (%1)").arg(r.type)
                                                 : QStringLiteral("out of ") + r.device,
                              main ? QString()
                                   : QStringLiteral("The route is in table %1, which applies only where an ip rule "
                                                    "selects it; discovery does not read ip rules.")
                                         .arg(r.table));
            f.targets = covered;
            f.evidence << fact(QStringLiteral("ip -j -%1 route show table all").arg(v), routeLine(r),
                QStringLiteral("Covers %1.").arg(covered.join(QStringLiteral(", "))));
            for (const TopoRoute &own : m_t.routes) {
                if (own.family == toAF(fam) && own.device == bridgeName && own.table == QLatin1String("main")
                    && own.destination.contains(QLatin1Char('/'))) {
                    f.evidence << fact(QStringLiteral("ip -j -%1 route show table all").arg(v), routeLine(own),
                        QStringLiteral("The bridge's own, less specific route."));
                    break;
                }
            }
            const QString del
                = QStringLiteral("ip -%1 route del %2%3%4")
                      .arg(v, r.destination, r.device.isEmpty() ? QString() : QStringLiteral(" dev ") + r.device,
                          main ? QString() : QStringLiteral(" table ") + r.table);
            f.fix << FixStep { del, QStringLiteral("ip -%1 route add %2").arg(v, routeLine(r)),
                QStringLiteral("Remove the overlapping route (find who adds it: a VPN, a static config, a "
                               "second network on the same range).") };
            f.checks << QStringLiteral("ip -%1 route get %2").arg(v, instanceAddress(covered.first(), fam))
                     << QStringLiteral("ip rule show");
            f.confidence = main ? Confidence::High : Confidence::Medium;
            f.confidenceReason = main
                ? QStringLiteral("the instances the route covers are the ones that fail, and "
                                 "the runner passes")
                : QStringLiteral("the route is in table %1; whether a rule selects it is not known").arg(r.table);
            found << f;
        }
    }
    return found;
}

void Engine::forwarding()
{
    for (const Fam fam : { Fam::V4, Fam::V6 }) {
        if (!ipPasses(runner(), fam)) {
            continue; // without the runner passing, this is not about forwarding
        }
        std::map<QString, QStringList> byBridge; // bridge -> instances with the symptom
        for (const QString &i : m_instances) {
            if (!ipFails(i, fam) || !instanceHasAddress(i, fam).value_or(true)) {
                continue;
            }
            // What the runner cannot do either is no forwarding evidence: while a run goes, an
            // instance's stalled connect may be the only outward cell known, and where the runner's
            // own connect stalls too (a network that lets only a proxy out) it says nothing about
            // the runner's forwarding.
            const QList<Cell *> outward = ipCells(i, fam);
            if (std::all_of(outward.cbegin(), outward.cend(), [this](const Cell *c) {
                    const Cell *r = cell(c->probe, runner());
                    return r && r->fails();
                })) {
                continue;
            }
            if (const TopoNetwork *n = bridgeOf(i)) {
                byBridge[n->name] << i;
            }
        }
        for (const auto &[bridgeName, affected] : byBridge) {
            const TopoNetwork *bridge = m_t.network(bridgeName);
            QStringList onBridge;
            for (const QString &i : m_instances) {
                const TopoNetwork *n = bridgeOf(i);
                if (n && n->name == bridgeName) {
                    onBridge << i;
                }
            }
            const bool all = affected.size() == onBridge.size();
            QList<Finding> found;
            const QString v = fam == Fam::V4 ? QStringLiteral("4") : QStringLiteral("6");

            // forwarding off
            const QString knob = fam == Fam::V4 ? QStringLiteral("net.ipv4.ip_forward")
                                                : QStringLiteral("net.ipv6.conf.all.forwarding");
            if (m_t.sysctl(knob) == QLatin1String("0")) {
                Finding f;
                f.id = QStringLiteral("ip-forward-off");
                f.title = QStringLiteral("The runner does not forward %1 (%2 = 0)").arg(famName(fam), knob);
                f.cause = QStringLiteral("%1 is 0: the runner's kernel does not route %2 between its interfaces. The "
                                         "instances get addresses and DNS answers from the runner itself, but nothing "
                                         "they send beyond it is passed on to the uplink, so their connections time "
                                         "out while the runner's own work.")
                              .arg(knob, famName(fam));
                f.evidence << fact(
                    QStringLiteral("sysctl"), QStringLiteral("%1 = 0").arg(knob), QStringLiteral("Forwarding is off."));
                f.fix << FixStep { QStringLiteral("sysctl -w %1=1").arg(knob),
                    QStringLiteral("sysctl -w %1=0").arg(knob),
                    QStringLiteral("Turn forwarding on (until reboot; to keep it, put \"%1 = 1\" in "
                                   "/etc/sysctl.d/99-forwarding.conf, and find what turned it off in /etc/sysctl.conf "
                                   "and /etc/sysctl.d/).")
                        .arg(knob) };
                f.references << QStringLiteral("https://docs.kernel.org/networking/ip-sysctl.html");
                f.confidence = all ? Confidence::High : Confidence::Medium;
                f.confidenceReason = all
                    ? QStringLiteral("every instance on %1 fails %2 beyond the runner, the runner "
                                     "passes the same probes, and the runner does not forward %2")
                          .arg(bridgeName, famName(fam))
                    : QStringLiteral("forwarding is off, but not every instance on %1 fails").arg(bridgeName);
                found << f;
            }

            // firewall
            const QString uplink = uplinkFor(fam);
            QList<fwmodel::Decision> refusals;
            bool uncertain = false;
            for (const QString &i : affected) {
                fwmodel::Packet out;
                out.family = toAF(fam);
                out.inInterface = bridgeName;
                out.outInterface = uplink;
                out.source = instanceAddress(i, fam);
                if (out.source.isEmpty()) {
                    out.source = bridgeAddress(*bridge, fam).section(QLatin1Char('/'), 0, 0);
                }
                out.destination = destinationFor(fam);
                for (Cell *c : ipCells(i, fam, true)) {
                    if (c->info.layer == Layer::Tcp && c->info.port > 0) {
                        out.destinationPort = c->info.port;
                    }
                }
                fwmodel::Packet back = out;
                back.inInterface = uplink;
                back.outInterface = bridgeName;
                std::swap(back.source, back.destination);
                back.state = fwmodel::Packet::State::Established;
                for (const auto &packet : { out, back }) {
                    for (const fwmodel::Decision &d : m_fw.refusals(QStringLiteral("forward"), packet)) {
                        uncertain = uncertain || !d.unread.isEmpty();
                        const bool seen
                            = std::any_of(refusals.cbegin(), refusals.cend(), [&](const fwmodel::Decision &o) {
                                  return o.ruleText == d.ruleText && o.source == d.source;
                              });
                        if (!seen) {
                            refusals << d;
                        }
                    }
                }
            }
            if (!refusals.isEmpty()) {
                Finding f;
                f.id = QStringLiteral("firewall-forward-drop");
                const fwmodel::Decision &first = refusals.first();
                const bool policy = first.byPolicy;
                f.title = QStringLiteral("The runner's firewall drops %1 traffic forwarded from %2 (%3)")
                              .arg(famName(fam), bridgeName,
                                  policy ? QStringLiteral("%1 policy %2")
                                               .arg(first.chain, fwmodel::toText(first.verdict).toUpper())
                                         : QStringLiteral("a %1 rule in %2")
                                               .arg(fwmodel::toText(first.verdict).toUpper(), first.chain));
                f.cause = QStringLiteral(
                    "Packets from %1 to the outside (and their answers) cross the runner's forward hook, and the "
                    "firewall %2 them there: %3. The instances get their addresses and DNS answers, which come from "
                    "the runner itself, but every connection beyond it times out, while the runner's own "
                    "connections, which are not forwarded, work.%4")
                              .arg(bridgeName, fwmodel::toText(first.verdict) + QStringLiteral("s"),
                                  policy ? QStringLiteral(
                                      "the chain %1 ends in policy %2 and no rule before it accepts them")
                                               .arg(first.chain, fwmodel::toText(first.verdict).toUpper())
                                         : QStringLiteral("the rule \"%1\" matches them before anything accepts them")
                                               .arg(first.ruleText),
                                  m_t.firewall.hasDockerUserChain ? QStringLiteral(
                                      " Docker is installed (there is a DOCKER-USER chain): Docker sets "
                                      "the FORWARD policy to DROP and lets only its own bridges through.")
                                                                  : QString());
                for (const fwmodel::Decision &d : refusals) {
                    for (const QString &jump : d.path) {
                        f.evidence << fact(d.source, jump, QStringLiteral("The forward hook jumps here."));
                    }
                    f.evidence << fact(d.source, d.ruleText,
                        d.byPolicy ? QStringLiteral("Nothing accepts the packet, so the chain's policy decides: %1.")
                                         .arg(fwmodel::toText(d.verdict))
                                   : QStringLiteral("This rule %1s the packet (rule %2 of %3).")
                                         .arg(fwmodel::toText(d.verdict))
                                         .arg(d.position)
                                         .arg(d.chain));
                }
                // Fix: an ACCEPT in front of the first refusing chain, for both directions.
                for (const fwmodel::Decision &d : refusals) {
                    if (d.source != QLatin1String("nft -j list ruleset")) {
                        const QString tool = fam == Fam::V4 ? QStringLiteral("iptables") : QStringLiteral("ip6tables");
                        // In the chain that decides; for FORWARD's policy under Docker, in DOCKER-USER,
                        // which FORWARD jumps to first and Docker leaves alone when it rewrites FORWARD.
                        QString chain = d.chain;
                        if (d.byPolicy && d.chain == QLatin1String("FORWARD")) {
                            const fwmodel::IptChain *forward
                                = m_fw.iptables(toAF(fam)).chain(QStringLiteral("filter"), QStringLiteral("FORWARD"));
                            const bool jumps = forward
                                && std::any_of(
                                    forward->rules.cbegin(), forward->rules.cend(), [](const fwmodel::IptRule &r) {
                                        return r.target == QLatin1String("DOCKER-USER");
                                    });
                            if (jumps) {
                                chain = QStringLiteral("DOCKER-USER");
                            }
                        }
                        const QString outRule = QStringLiteral("-i %1 -j ACCEPT").arg(bridgeName);
                        const QString backRule
                            = QStringLiteral("-o %1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
                                  .arg(bridgeName);
                        const FixStep a { QStringLiteral("%1 -I %2 %3").arg(tool, chain, outRule),
                            QStringLiteral("%1 -D %2 %3").arg(tool, chain, outRule),
                            QStringLiteral("Accept what %1 sends, before the %2.")
                                .arg(bridgeName,
                                    d.byPolicy ? QStringLiteral("policy") : QStringLiteral("dropping rule")) };
                        const FixStep b { QStringLiteral("%1 -I %2 %3").arg(tool, chain, backRule),
                            QStringLiteral("%1 -D %2 %3").arg(tool, chain, backRule),
                            QStringLiteral("Accept the answers to it.") };
                        if (!f.fix.contains(a)) {
                            f.fix << a << b;
                        }
                    } else {
                        const QStringList t = d.table.split(QLatin1Char(' '));
                        const QString where = QStringLiteral("%1 %2 %3").arg(t.value(0), t.value(1), d.chain);
                        const QString tag = QStringLiteral("nestscope-%1").arg(bridgeName);
                        const QString outRule
                            = QStringLiteral("iifname \"%1\" accept comment \"%2\"").arg(bridgeName, tag);
                        const QString backRule
                            = QStringLiteral("oifname \"%1\" ct state established,related accept comment \"%2\"")
                                  .arg(bridgeName, tag);
                        const QString revert = QStringLiteral(
                            "nft -a list chain %1 | sed -n 's/.*comment \"%2\" # handle \\([0-9]*\\)$/\\1/p' | "
                            "xargs -r -n1 nft delete rule %1 handle")
                                                   .arg(where, tag);
                        const FixStep a { QStringLiteral("nft insert rule %1 '%2'").arg(where, outRule), revert,
                            QStringLiteral("Accept what %1 sends, at the top of the chain that drops it.")
                                .arg(bridgeName) };
                        const FixStep b { QStringLiteral("nft insert rule %1 '%2'").arg(where, backRule), revert,
                            QStringLiteral("Accept the answers to it (the revert above removes both rules).") };
                        if (!f.fix.contains(a)) {
                            f.fix << a << b;
                        }
                    }
                }
                f.checks << (fam == Fam::V4 ? QStringLiteral("iptables -S FORWARD -v")
                                            : QStringLiteral("ip6tables -S FORWARD -v"))
                         << QStringLiteral("nft list ruleset");
                f.references << QStringLiteral("https://docs.docker.com/engine/network/firewall-iptables/")
                             << QStringLiteral("https://github.com/docker/for-linux/issues/103")
                             << QStringLiteral("https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=865975")
                             << QStringLiteral(
                                    "https://documentation.ubuntu.com/lxd/en/latest/howto/network_bridge_firewalld/");
                if (uncertain) {
                    f.confidence = Confidence::Medium;
                    f.confidenceReason
                        = QStringLiteral("the instances fail as a drop makes them fail, and the firewall drops "
                                         "their packets, but rules with matches Nestscope does not read come "
                                         "before the drop and might accept them");
                    for (const fwmodel::Decision &d : refusals) {
                        for (const QString &u : d.unread) {
                            f.evidence << fact(d.source, u, QStringLiteral("A rule Nestscope could not evaluate."));
                        }
                    }
                } else {
                    f.confidence = all ? Confidence::High : Confidence::Medium;
                    f.confidenceReason = all
                        ? QStringLiteral("every instance on %1 fails %2 as a drop makes it fail, the runner "
                                         "passes the same probes, and the firewall, read rule by rule, "
                                         "drops exactly these packets")
                              .arg(bridgeName, famName(fam))
                        : QStringLiteral("the firewall drops the packets, but not every instance on %1 "
                                         "fails")
                              .arg(bridgeName);
                }
                found << f;
            }

            // NAT
            const QString subnet = bridgeAddress(*bridge, fam);
            const bool privateRange = fam == Fam::V4 ? topo::isPrivateIPv4(subnet) : topo::isUla(subnet);
            const bool nat = fam == Fam::V4 ? bridge->ipv4Nat() : bridge->ipv6Nat();
            if (topo::hasSubnet(subnet) && privateRange && !nat) {
                const auto net = QHostAddress::parseSubnet(subnet);
                const QString network = net.first.isNull()
                    ? subnet
                    : QStringLiteral("%1/%2")
                          .arg(QHostAddress(fam == Fam::V4 ? QHostAddress(net.first.toIPv4Address()
                                                & (net.second == 0 ? 0u : ~0u << (32 - net.second)))
                                                           : net.first)
                                   .toString())
                          .arg(net.second);
                bool masqueraded = false;
                for (const QString &rule : m_t.firewall.masqueradeRules) {
                    if (rule.contains(network) || rule.contains(subnet)) {
                        masqueraded = true;
                    }
                }
                if (!masqueraded) {
                    const QString key = fam == Fam::V4 ? QStringLiteral("ipv4.nat") : QStringLiteral("ipv6.nat");
                    const QString old = bridge->config.value(key);
                    Finding f;
                    f.id = fam == Fam::V4 ? QStringLiteral("nat-missing-ipv4") : QStringLiteral("nat-missing-ipv6");
                    f.title = QStringLiteral("No NAT for %1's %2 subnet %3").arg(bridgeName, famName(fam), subnet);
                    f.cause = QStringLiteral("%1 hands out %2, a %3 range that is not routed on the internet, and "
                                             "%4: the instances' packets leave the runner with their private source "
                                             "address, and no answer finds its way back, so their connections time "
                                             "out. The runner's own traffic uses its own address and works.")
                                  .arg(bridgeName, subnet,
                                      fam == Fam::V4 ? QStringLiteral("private (RFC 1918)")
                                                     : QStringLiteral("unique local (fc00::/7)"),
                                      QStringLiteral("%1 is %2 and no masquerade rule covers it")
                                          .arg(key, old.isEmpty() ? QStringLiteral("not set") : old));
                    f.evidence << fact(QStringLiteral("%1 network show %2").arg(m_client, bridgeName),
                        configLine(
                            *bridge, fam == Fam::V4 ? QStringLiteral("ipv4.address") : QStringLiteral("ipv6.address")),
                        QStringLiteral("A private subnet."))
                               << fact(QStringLiteral("%1 network show %2").arg(m_client, bridgeName),
                                      configLine(*bridge, key), QStringLiteral("NAT is off."))
                               << fact(QStringLiteral("nft -j list ruleset / iptables-save -t nat"),
                                      QStringLiteral("(no masquerade or SNAT rule for %1)").arg(network),
                                      m_t.firewall.masqueradeRules.isEmpty()
                                          ? QStringLiteral("No masquerade rule at all.")
                                          : QStringLiteral("Masquerade rules exist, none for this subnet: %1")
                                                .arg(m_t.firewall.masqueradeRules.join(QStringLiteral("; "))));
                    f.fix << FixStep { QStringLiteral("%1 network set %2 %3 true").arg(m_client, bridgeName, key),
                        old.isEmpty() ? QStringLiteral("%1 network unset %2 %3").arg(m_client, bridgeName, key)
                                      : QStringLiteral("%1 network set %2 %3 %4").arg(m_client, bridgeName, key, old),
                        QStringLiteral("LXD adds a masquerade rule for the subnet.") };
                    f.references << QStringLiteral(
                        "https://documentation.ubuntu.com/lxd/en/latest/reference/network_bridge/");
                    f.confidence = all ? Confidence::High : Confidence::Medium;
                    f.confidenceReason = all
                        ? QStringLiteral("every instance on %1 fails %2 as lost answers make it fail, the "
                                         "runner passes, and the bridge has neither NAT nor a "
                                         "masquerade rule")
                              .arg(bridgeName, famName(fam))
                        : QStringLiteral("NAT is off, but not every instance on %1 fails").arg(bridgeName);
                    found << f;
                }
            }

            // a route that sends (part of) the bridge's subnet elsewhere
            found << routeOverlaps(fam, bridgeName, affected);

            // a policy rule that hands the instances' traffic (or its replies) to another table
            if (auto f = policyRouting(fam, bridgeName, affected, uplink)) {
                f->confidence = all ? Confidence::High : Confidence::Medium;
                f->confidenceReason = all
                    ? QStringLiteral("every instance on %1 fails %2 beyond the runner, the runner passes, and "
                                     "the rule sends their packets off the runner's own path")
                          .arg(bridgeName, famName(fam))
                    : QStringLiteral("the rule covers the failing instances, but not every instance on %1 fails")
                          .arg(bridgeName);
                found << *f;
            }

            if (found.isEmpty()) {
                continue; // nothing in the topology explains it: left to the single-instance and unexplained rules
            }
            for (Finding &f : found) {
                if (f.targets.isEmpty()) {
                    f.targets = affected;
                }
                if (f.families.isEmpty()) {
                    f.families << famKey(fam);
                }
                addContrast(f, f.targets, fam);
            }
            // The same cause in both families is one finding with both.
            for (Finding &f : found) {
                auto it = std::find_if(m_findings.begin(), m_findings.end(), [&](const Finding &o) {
                    return o.id == f.id && o.id != QLatin1String("route-overlaps-bridge") && o.targets == f.targets;
                });
                if (it != m_findings.end() && fam == Fam::V6) {
                    it->families << famKey(fam);
                    if (it->id == QLatin1String("ip-forward-off")) {
                        it->title
                            = QStringLiteral("The runner forwards neither IPv4 nor IPv6 (net.ipv4.ip_forward = 0, "
                                             "net.ipv6.conf.all.forwarding = 0)");
                    } else {
                        it->title.replace(QStringLiteral("IPv4"), QStringLiteral("IPv4 and IPv6"));
                    }
                    for (const Evidence &e : f.evidence) {
                        if (!it->evidence.contains(e)) {
                            it->evidence << e;
                        }
                    }
                    for (const FixStep &s : f.fix) {
                        if (!it->fix.contains(s)) {
                            it->fix << s;
                        }
                    }
                    for (const QString &c : f.checks) {
                        if (!it->checks.contains(c)) {
                            it->checks << c;
                        }
                    }
                    if (f.confidence > it->confidence) {
                        it->confidence = f.confidence;
                        it->confidenceReason = f.confidenceReason;
                    }
                } else {
                    add(f);
                }
            }
            for (const Finding &f : found) {
                for (const QString &i : f.targets) {
                    claimFamily(i, fam);
                }
            }
        }
    }
}

void Engine::dns()
{
    if (!dnsPasses(runner())) {
        return;
    }
    std::map<QString, QStringList> byBridge;
    for (const QString &i : m_instances) {
        const bool unclaimedDns = !cells(i, [this](const Cell &c) {
            return c.info.layer == Layer::Dns && c.known() && !claimed(c);
        }).isEmpty();
        if (unclaimedDns && dnsFails(i)) {
            const TopoNetwork *n = bridgeOf(i);
            byBridge[n ? n->name : QString()] << i;
        }
    }
    for (const auto &[bridgeName, failing] : byBridge) {
        const TopoNetwork *bridge = m_t.network(bridgeName);
        // A route that sends the instances' addresses elsewhere takes the bridge's own answers with
        // it: their lookups fail first (at once), their connects only at their timeout. That is the
        // route's doing, not the DNS server's.
        QStringList affected = failing;
        for (const Fam fam : { Fam::V4, Fam::V6 }) {
            for (Finding &o : routeOverlaps(fam, bridgeName, affected)) {
                const bool known = std::any_of(m_findings.cbegin(), m_findings.cend(), [&](const Finding &e) {
                    return e.id == o.id && e.targets == o.targets && e.title == o.title;
                });
                for (const QString &i : std::as_const(o.targets)) {
                    affected.removeAll(i);
                    claim(i, Fam::Any, [this](const Cell &c) {
                        return c.info.layer == Layer::Dns || resolveFailure(c);
                    });
                }
                if (known) {
                    continue;
                }
                o.families << famKey(fam);
                o.cause += QStringLiteral(" The bridge's own DNS answers to them leave the same way, so their "
                                          "lookups fail although the bridge's DNS works.");
                addContrast(o, o.targets, fam);
                add(o);
            }
        }
        if (affected.isEmpty()) {
            continue;
        }
        Finding f;
        f.targets = affected;
        const QString who = affected.join(QStringLiteral(", "));
        // Whom do the instances ask? The bridge's own address, as LXD's DHCP tells them, or another server.
        bool asksBridge = false;
        QString resolvConf;
        for (const QString &i : affected) {
            if (Cell *c = cell(QStringLiteral("resolver"), i)) {
                if (const Sample *s = c->samples.value(0)) {
                    resolvConf = QString::fromUtf8(s->stdOut);
                }
            }
        }
        QStringList bridgeAddrs;
        if (bridge) {
            for (const Fam fam : { Fam::V4, Fam::V6 }) {
                const QString a = bridgeAddress(*bridge, fam).section(QLatin1Char('/'), 0, 0);
                if (topo::hasSubnet(a)) {
                    bridgeAddrs << a;
                    if (resolvConf.contains(QStringLiteral("nameserver ") + a)) {
                        asksBridge = true;
                    }
                }
            }
        }
        if (resolvConf.isEmpty() && bridge) {
            asksBridge = true; // LXD's DHCP hands out the bridge as the resolver
        }
        // Does IP work without names? A pass at the IP level on the instances says so.
        QStringList ipWorks;
        for (const QString &i : affected) {
            for (const Fam fam : { Fam::V4, Fam::V6 }) {
                if (ipPasses(i, fam)) {
                    ipWorks << i;
                    break;
                }
            }
        }
        // Is DNS from the bridge refused by the runner's input hook?
        QList<fwmodel::Decision> refusals;
        if (bridge) {
            for (const Fam fam : { Fam::V4, Fam::V6 }) {
                const QString a = bridgeAddress(*bridge, fam).section(QLatin1Char('/'), 0, 0);
                if (!topo::hasSubnet(a)) {
                    continue;
                }
                for (const QString &proto : { QStringLiteral("udp"), QStringLiteral("tcp") }) {
                    fwmodel::Packet p;
                    p.family = toAF(fam);
                    p.inInterface = bridgeName;
                    p.source = instanceAddress(affected.first(), fam);
                    p.destination = a;
                    p.protocol = proto;
                    p.destinationPort = 53;
                    for (const fwmodel::Decision &d : m_fw.refusals(QStringLiteral("input"), p)) {
                        const bool seen
                            = std::any_of(refusals.cbegin(), refusals.cend(), [&](const fwmodel::Decision &o) {
                                  return o.ruleText == d.ruleText;
                              });
                        if (!seen) {
                            refusals << d;
                        }
                    }
                }
            }
        }
        if (asksBridge && bridge) {
            f.id = QStringLiteral("bridge-dns-down");
            f.title = QStringLiteral("%1's DNS does not answer the instances").arg(bridgeName);
            f.cause = QStringLiteral("%1 ask%2 the bridge (%3) for names, as LXD's DHCP tells them, and get no "
                                     "answer, while the runner resolves the same names with its own resolver. Every "
                                     "probe that needs a name fails at the lookup%4.")
                          .arg(who, affected.size() == 1 ? QStringLiteral("s") : QString(),
                              bridgeAddrs.join(QStringLiteral(", ")),
                              refusals.isEmpty() ? QString()
                                                 : QStringLiteral(": the runner's firewall drops DNS queries arriving "
                                                                  "on %1")
                                                       .arg(bridgeName));
        } else {
            f.id = QStringLiteral("instance-dns-down");
            f.title = QStringLiteral("%1: the configured resolver does not answer").arg(who);
            f.cause = QStringLiteral("%1 resolve%2 nothing while the runner resolves the same names; the instances do "
                                     "not use the bridge's DNS but the servers in their resolv.conf.")
                          .arg(who, affected.size() == 1 ? QStringLiteral("s") : QString());
        }
        // Reverts run in reverse order, so each puts its rule back where it was once the later
        // deletions are undone: at its position among the rules still there.
        std::map<QString, QList<int>> deleted; // chain -> original positions deleted so far
        for (const fwmodel::Decision &d : refusals) {
            for (const QString &jump : d.path) {
                f.evidence << fact(d.source, jump, QStringLiteral("The input hook jumps here."));
            }
            f.evidence << fact(d.source, d.ruleText,
                d.byPolicy ? QStringLiteral("The input chain's policy drops DNS from the bridge.")
                           : QStringLiteral("This rule drops DNS queries from the bridge (rule %1 of %2).")
                                 .arg(d.position)
                                 .arg(d.chain));
            if (d.byPolicy) {
                continue;
            }
            QList<int> &before = deleted[d.source + d.table + d.chain];
            const int position = d.position - int(std::count_if(before.cbegin(), before.cend(), [&](int p) {
                return p < d.position;
            }));
            before << d.position;
            if (d.source == QLatin1String("nft -j list ruleset") && d.nftHandle >= 0) {
                const QStringList t = d.table.split(QLatin1Char(' '));
                const QString where = QStringLiteral("%1 %2 %3").arg(t.value(0), t.value(1), d.chain);
                const QString revert = position <= 1
                    ? QStringLiteral("nft insert rule %1 %2").arg(where, d.nftRuleBody)
                    : QStringLiteral("nft add rule %1 index %2 %3").arg(where).arg(position - 2).arg(d.nftRuleBody);
                f.fix << FixStep { QStringLiteral("nft delete rule %1 handle %2").arg(where).arg(d.nftHandle), revert,
                    QStringLiteral("Remove the rule that drops DNS from the bridge.") };
            } else if (d.source != QLatin1String("nft -j list ruleset")) {
                const QString tool = d.source.startsWith(QLatin1String("ip6")) ? QStringLiteral("ip6tables")
                                                                               : QStringLiteral("iptables");
                const QString spec = d.ruleText.section(QLatin1Char(' '), 2);
                f.fix << FixStep { QStringLiteral("%1 -D %2 %3").arg(tool, d.chain, spec),
                    QStringLiteral("%1 -I %2 %3 %4").arg(tool, d.chain).arg(position).arg(spec),
                    QStringLiteral("Remove the rule that drops DNS from the bridge.") };
            }
        }
        for (const QString &i : affected) {
            for (Cell *c : cells(i, [](const Cell &c) {
                     return c.info.layer == Layer::Dns && c.fails();
                 })) {
                f.evidence << sampleEvidence(*c->first(true), QStringLiteral("The lookup fails on %1.").arg(i));
                break;
            }
        }
        for (Cell *c : cells(runner(), [](const Cell &c) {
                 return c.info.layer == Layer::Dns && c.passes();
             })) {
            f.evidence << sampleEvidence(*c->first(false), QStringLiteral("The same lookup works on the runner."));
            break;
        }
        for (Cell *c : cells(affected.first(), [this](const Cell &c) {
                 return resolveFailure(c) && c.info.layer != Layer::Dns;
             })) {
            f.evidence << sampleEvidence(
                *c->first(true), QStringLiteral("It fails because the name does not resolve."));
            break;
        }
        if (!resolvConf.isEmpty()) {
            f.evidence << fact(QStringLiteral("%1 exec %2 -- cat /etc/resolv.conf").arg(m_client, affected.first()),
                resolvConf.trimmed(), QStringLiteral("Whom the instance asks."));
        }
        if (!refusals.isEmpty() || ipWorks.size() == affected.size()) {
            f.confidence = Confidence::High;
            f.confidenceReason = !refusals.isEmpty()
                ? QStringLiteral("the instances' lookups fail, the runner's pass, and the runner's firewall drops DNS "
                                 "queries from the bridge")
                : QStringLiteral("the instances' lookups fail while their traffic to addresses works and the runner "
                                 "resolves");
        } else {
            f.confidence = Confidence::Medium;
            f.confidenceReason = QStringLiteral(
                "the instances' lookups fail and the runner's pass, but every other probe needs a name, so IP "
                "connectivity could not be checked on its own (a probe to a literal address would)");
        }
        if (bridge) {
            f.checks << QStringLiteral("%1 exec %2 -- nslookup %3 %4")
                            .arg(m_client, affected.first(),
                                m_run.variables.value(QStringLiteral("dns_name"), QStringLiteral("example.com")),
                                bridgeAddrs.value(0))
                     << QStringLiteral("ss -lunp 'sport = :53'") << QStringLiteral("pgrep -a dnsmasq");
        }
        f.references << QStringLiteral("https://documentation.ubuntu.com/lxd/en/latest/howto/network_bridge_resolved/");
        for (const QString &i : affected) {
            claim(i, Fam::Any, [this](const Cell &c) {
                return c.info.layer == Layer::Dns || resolveFailure(c);
            });
        }
        add(f);
    }
}

// The runner reaches the web through a proxy (its session's or /etc/environment's *_proxy), and
// `lxc exec` does not pass the caller's environment on: an instance gets only its config's
// environment.* keys. Web requests that pass on the runner fail in instances without those keys.
void Engine::proxyMissing()
{
    QList<TopoProxy> proxies; // one per variable name, the session's before /etc/environment's
    QStringList names;
    for (const TopoProxy &p : m_t.proxies) {
        const bool noProxy = p.name.compare(QLatin1String("no_proxy"), Qt::CaseInsensitive) == 0;
        if ((p.isClientVariable() || (noProxy && p.source != QLatin1String("apt"))) && !names.contains(p.name)) {
            names << p.name;
            proxies << p;
        }
    }
    const bool anyClient = std::any_of(proxies.cbegin(), proxies.cend(), [](const TopoProxy &p) {
        return p.isClientVariable();
    });
    if (!anyClient) {
        return;
    }
    auto webLayer = [](Layer l) {
        return l == Layer::Http || l == Layer::Tls || l == Layer::Bulk || l == Layer::App;
    };
    Finding f;
    f.id = QStringLiteral("proxy-missing-in-instances");
    bool runnerEvidence = false;
    for (const QString &i : m_instances) {
        const TopoInstance *inst = instance(i);
        const bool hasProxy = inst && std::any_of(proxies.cbegin(), proxies.cend(), [&](const TopoProxy &p) {
            return p.isClientVariable() && !inst->environment.value(p.name).isEmpty();
        });
        if (!inst || hasProxy) {
            continue;
        }
        QList<Cell *> affected;
        for (Cell *c : cells(i, [&](const Cell &c) {
                 return webLayer(c.info.layer) && c.fails() && !claimed(c);
             })) {
            Cell *r = cell(c->probe, runner());
            if (r && r->passes()) {
                affected << c;
            }
        }
        if (affected.isEmpty()) {
            continue;
        }
        f.targets << i;
        for (Cell *c : std::as_const(affected)) {
            if (!runnerEvidence) {
                f.evidence << sampleEvidence(*cell(c->probe, runner())->first(false),
                    QStringLiteral("%1 passes on the runner, through its proxy.").arg(c->probe));
                runnerEvidence = true;
            }
            if (c == affected.first()) {
                f.evidence << sampleEvidence(*c->first(true), QStringLiteral("%1 fails on %2.").arg(c->probe, i));
            }
            if (c->info.fam != Fam::Any && !f.families.contains(famKey(c->info.fam))) {
                f.families << famKey(c->info.fam);
            }
            m_claimed.insert({ c->probe, c->target });
        }
        f.evidence << fact(QStringLiteral("%1 query /1.0/instances?recursion=2").arg(m_client),
            QStringLiteral("%1: no environment.*_proxy in its expanded config").arg(i),
            QStringLiteral("Commands run with `%1 exec %2` get no proxy.").arg(m_client, i));
        for (const TopoProxy &p : std::as_const(proxies)) {
            // A masked value (it carries a password) is taken from the runner's own variable.
            const QString value
                = p.value.contains(QLatin1String("***@")) ? QStringLiteral("\"$%1\"").arg(p.name) : shellQuote(p.value);
            f.fix << FixStep { QStringLiteral("%1 config set %2 environment.%3 %4").arg(m_client, i, p.name, value),
                QStringLiteral("%1 config unset %2 environment.%3").arg(m_client, i, p.name),
                QStringLiteral("Give %1 the runner's %2.").arg(i, p.name) };
        }
    }
    if (f.targets.isEmpty()) {
        return;
    }
    qsizetype at = 0; // the runner's settings first
    for (const TopoProxy &p : std::as_const(proxies)) {
        f.evidence.insert(at++,
            fact(QStringLiteral("proxy-env (the session's environment, /etc/environment, apt-config dump)"), p.line(),
                QStringLiteral("The runner's commands go through this proxy.")));
    }
    // Direct connections that fail on the runner too: the proxy is the only way out.
    QStringList directFails;
    for (Cell *c : cells(runner(), [this](const Cell &c) {
             return c.info.layer == Layer::Tcp && c.fails() && !claimed(c);
         })) {
        directFails << c->probe;
        f.evidence << sampleEvidence(*c->first(true),
            QStringLiteral("A direct connection from the runner (%1) fails: only the proxy gets out.").arg(c->probe));
        m_claimed.insert({ c->probe, c->target });
        for (const QString &i : std::as_const(f.targets)) {
            if (Cell *ic = cell(c->probe, i); ic && ic->fails()) {
                m_claimed.insert({ ic->probe, ic->target });
            }
        }
    }
    const QString who = f.targets.join(QStringLiteral(", "));
    f.title = QStringLiteral("The runner goes through a proxy that %1 do%2 not have")
                  .arg(who, f.targets.size() == 1 ? QStringLiteral("es") : QString());
    f.cause = QStringLiteral("The runner's web requests pass because its commands get a proxy (%1); %2 exec does not "
                             "pass the caller's environment on, so the same requests from %3 go out directly and fail. "
                             "Give the instances the proxy in their environment.* configuration (curl, wget and apt in "
                             "them read it from there), or configure it in their images.")
                  .arg(proxies.first().line(), m_client, who);
    f.confidence = directFails.isEmpty() ? Confidence::Medium : Confidence::High;
    f.confidenceReason = directFails.isEmpty()
        ? QStringLiteral("the runner has a proxy the instances lack and only their web requests fail, but direct "
                         "connections from the runner work too: the proxy may not be required")
        : QStringLiteral("the runner's own direct connections fail as well (%1) while its requests through the proxy "
                         "pass, and the instances have no proxy")
              .arg(directFails.join(QStringLiteral(", ")));
    f.checks << QStringLiteral("%1 exec %2 -- env | grep -i _proxy").arg(m_client, f.targets.first())
             << QStringLiteral("env | grep -i _proxy");
    f.references << QStringLiteral("https://documentation.ubuntu.com/lxd/en/latest/reference/instance_options/")
                 << QStringLiteral("https://curl.se/docs/manpage.html#ENVIRONMENT");
    add(f);
}

void Engine::tlsTrust()
{
    static const QRegularExpression untrusted(
        QStringLiteral("SSL certificate problem|certificate verify failed|unable to get local issuer|self[- ]signed "
                       "certificate|certificate is not trusted|Cannot verify .* certificate"),
        QRegularExpression::CaseInsensitiveOption);
    Finding f;
    f.id = QStringLiteral("tls-untrusted");
    for (const QString &i : m_instances) {
        for (Cell *c : cells(i, [](const Cell &c) {
                 return (c.info.layer == Layer::Tls || c.info.layer == Layer::App) && c.fails();
             })) {
            Cell *r = cell(c->probe, runner());
            const Sample *s = c->first(true);
            if (claimed(*c) || !r || !r->passes() || !s
                || !untrusted.match(s->message + QLatin1Char('\n') + QString::fromUtf8(s->stdErr)).hasMatch()) {
                continue;
            }
            if (!f.targets.contains(i)) {
                f.targets << i;
                f.evidence << sampleEvidence(*r->first(false), QStringLiteral("%1 passes on the runner.").arg(c->probe))
                           << sampleEvidence(
                                  *s, QStringLiteral("%1 on %2 does not trust the certificate.").arg(c->probe, i));
            }
            if (c->info.fam != Fam::Any && !f.families.contains(famKey(c->info.fam))) {
                f.families << famKey(c->info.fam);
            }
            m_claimed.insert({ c->probe, c->target });
        }
    }
    if (f.targets.isEmpty()) {
        return;
    }
    const QString who = f.targets.join(QStringLiteral(", "));
    f.title = QStringLiteral("%1 do%2 not trust the certificates the runner trusts")
                  .arg(who, f.targets.size() == 1 ? QStringLiteral("es") : QString());
    f.cause = QStringLiteral("The connections work, but the TLS handshake fails on %1 with a certificate error while "
                             "the runner, asking the same servers, accepts their certificates. The runner trusts a CA "
                             "(a TLS-inspecting proxy's, a company's) that the instances do not have. Nestscope does "
                             "not know which file holds it, so it names no fix: install that CA in the instances "
                             "(/usr/local/share/ca-certificates/ and update-ca-certificates on Debian and Ubuntu).")
                  .arg(who);
    f.confidence = Confidence::High;
    f.confidenceReason
        = QStringLiteral("the TLS client itself reports the certificate as untrusted on the instances and "
                         "accepts it on the runner");
    f.checks << QStringLiteral("openssl s_client -connect %1:443 -showcerts </dev/null")
                    .arg(m_run.variables.value(QStringLiteral("web_host"), QStringLiteral("example.com")))
             << QStringLiteral("ls /usr/local/share/ca-certificates/");
    f.references << QStringLiteral(
        "https://manpages.debian.org/bookworm/ca-certificates/update-ca-certificates.8.en.html");
    add(f);
}

void Engine::mtu()
{
    for (const TopoNetwork &n : m_t.networks) {
        if (!n.managed || n.type != QLatin1String("bridge")) {
            continue;
        }
        const QString up = uplinkFor(Fam::V4);
        const TopoInterface *uplink = m_t.interface(up);
        const int bridgeMtu = m_t.bridgeMtu(n);
        if (!uplink || uplink->mtu <= 0 || bridgeMtu <= uplink->mtu) {
            continue;
        }
        QStringList affected;
        for (const QString &i : m_instances) {
            const TopoNetwork *b = bridgeOf(i);
            if (!b || b->name != n.name) {
                continue;
            }
            // Large packets fail while small ones pass: path MTU or bulk cells fail, small requests pass.
            const bool largeFails = !cells(i, [&](const Cell &c) {
                return (c.info.layer == Layer::Path || c.info.layer == Layer::Bulk || c.info.layer == Layer::Tls)
                    && c.fails() && !claimed(c);
            }).isEmpty();
            if (largeFails && (ipPasses(i, Fam::V4) || ipPasses(i, Fam::V6))) {
                affected << i;
            }
        }
        if (affected.isEmpty()) {
            continue;
        }
        Finding f;
        f.id = QStringLiteral("mtu-bridge-above-uplink");
        f.title = QStringLiteral("%1's MTU %2 is above the uplink %3's %4")
                      .arg(n.name)
                      .arg(bridgeMtu)
                      .arg(up)
                      .arg(uplink->mtu);
        f.cause
            = QStringLiteral("%1 carries packets of up to %2 bytes, the uplink %3 only %4: full-size packets from %5 "
                             "do not fit. Small exchanges work; TLS handshakes and downloads, which fill whole "
                             "packets, stall where path MTU discovery does not get through.")
                  .arg(n.name)
                  .arg(bridgeMtu)
                  .arg(up)
                  .arg(uplink->mtu)
                  .arg(affected.join(QStringLiteral(", ")));
        f.targets = affected;
        f.evidence << fact(QStringLiteral("%1 network show %2").arg(m_client, n.name),
            configLine(n, QStringLiteral("bridge.mtu")), QStringLiteral("The bridge's MTU."))
                   << fact(QStringLiteral("ip -j -d addr"), QStringLiteral("%1: mtu %2").arg(up).arg(uplink->mtu),
                          QStringLiteral("The uplink's MTU."));
        for (const QString &i : affected) {
            for (Cell *c : cells(i, [](const Cell &c) {
                     return (c.info.layer == Layer::Path || c.info.layer == Layer::Bulk || c.info.layer == Layer::Tls)
                         && c.fails();
                 })) {
                f.evidence << sampleEvidence(*c->first(true), QStringLiteral("A large transfer fails on %1.").arg(i));
                break;
            }
        }
        const QString old = n.config.value(QStringLiteral("bridge.mtu"));
        f.fix << FixStep { QStringLiteral("%1 network set %2 bridge.mtu %3").arg(m_client, n.name).arg(uplink->mtu),
            old.isEmpty() ? QStringLiteral("%1 network unset %2 bridge.mtu").arg(m_client, n.name)
                          : QStringLiteral("%1 network set %2 bridge.mtu %3").arg(m_client, n.name, old),
            QStringLiteral("Match the uplink; restart the instances' networking to pick it up.") };
        f.confidence = Confidence::High;
        f.confidenceReason = QStringLiteral("the MTUs disagree and only large transfers fail on the instances");
        f.references << QStringLiteral("https://documentation.ubuntu.com/lxd/en/latest/reference/network_bridge/");
        for (const QString &i : affected) {
            claim(i, Fam::Any, [](const Cell &c) {
                return c.info.layer == Layer::Path || c.info.layer == Layer::Bulk || c.info.layer == Layer::Tls;
            });
        }
        add(f);
    }
}

void Engine::singleInstance()
{
    for (const Fam fam : { Fam::V4, Fam::V6 }) {
        if (!ipPasses(runner(), fam)) {
            continue;
        }
        QStringList failing;
        QStringList passing;
        for (const QString &i : m_instances) {
            if (ipFails(i, fam)) {
                failing << i;
            } else if (ipPasses(i, fam)) {
                passing << i;
            }
        }
        if (failing.isEmpty() || passing.isEmpty()) {
            continue;
        }
        for (const QString &i : failing) {
            Finding f;
            f.id = QStringLiteral("instance-only");
            f.title = QStringLiteral("Only %1 fails %2; %3 and the runner pass")
                          .arg(i, famName(fam), passing.join(QStringLiteral(", ")));
            f.cause
                = QStringLiteral("%1 fails over %2 while %3 on the same runner pass%4 the same probes and the runner "
                                 "does too: whatever is wrong is specific to %1 (its own firewall, its routes, "
                                 "its NIC), not the bridge, the runner's firewall or its uplink. Nothing in the "
                                 "topology Nestscope reads names it.")
                      .arg(i, famName(fam), passing.join(QStringLiteral(", ")),
                          passing.size() == 1 ? QStringLiteral("es") : QString());
            f.targets << i;
            f.families << famKey(fam);
            QStringList sides = passing;
            sides.prepend(i);
            addContrast(f, { i }, fam);
            for (const QString &p : passing) {
                bool shown = false;
                for (const Layer layer : { Layer::Tcp, Layer::Tls, Layer::Http, Layer::Icmp, Layer::Bulk }) {
                    for (Cell *c : ipCells(p, fam, true)) {
                        if (!shown && c->info.layer == layer && c->passes() && cell(c->probe, i)
                            && cell(c->probe, i)->fails()) {
                            f.evidence << sampleEvidence(
                                *c->first(false), QStringLiteral("%1 passes on %2.").arg(c->probe, p));
                            shown = true;
                        }
                    }
                }
            }
            if (const TopoInstance *inst = instance(i)) {
                for (const TopoNic &nic : inst->nics) {
                    if (nic.state == QLatin1String("down")) {
                        f.evidence << fact(QStringLiteral("%1 query /1.0/instances/%2/state").arg(m_client, i),
                            QStringLiteral("%1: state down").arg(nic.device), QStringLiteral("The NIC is down."));
                    }
                }
            }
            const QString v = fam == Fam::V4 ? QStringLiteral("4") : QStringLiteral("6");
            f.checks << QStringLiteral("%1 exec %2 -- ip -%3 route").arg(m_client, i, v)
                     << QStringLiteral("%1 exec %2 -- ip -%3 addr").arg(m_client, i, v)
                     << QStringLiteral("%1 config show %2 --expanded").arg(m_client, i);
            f.confidence = Confidence::Medium;
            f.confidenceReason
                = QStringLiteral("the siblings and the runner pass the same probes, so the cause is at %1, "
                                 "but the run does not show what it is")
                      .arg(i);
            claimFamily(i, fam);
            add(f);
        }
    }
}

void Engine::unexplained()
{
    QStringList lines;
    Finding f;
    f.id = QStringLiteral("unexplained");
    for (const QString &p : m_cellOrder) {
        Cell *r = cell(p, runner());
        for (const QString &i : m_instances) {
            Cell *c = cell(p, i);
            if (!c || !c->known() || claimed(*c)) {
                continue;
            }
            const bool runnerPasses = r && r->passes();
            const bool runnerFails = r && r->fails();
            if (c->fails() && (runnerPasses || !r)) {
                lines << QStringLiteral("%1 (%2, %3): %4 fails%5")
                             .arg(p, layerName(c->info.layer), famName(c->info.fam), i,
                                 runnerPasses ? QStringLiteral(", the runner passes")
                                              : QStringLiteral(", not run on the runner"));
                f.evidence << sampleEvidence(*c->first(true), lines.last());
                if (!f.targets.contains(i)) {
                    f.targets << i;
                }
                if (c->info.fam != Fam::Any && !f.families.contains(famKey(c->info.fam))) {
                    f.families << famKey(c->info.fam);
                }
            } else if (c->passes() && runnerFails && isOutward(r->info.layer) && !claimed(*r)) {
                lines << QStringLiteral("%1 (%2, %3): the runner fails, %4 passes")
                             .arg(p, layerName(c->info.layer), famName(c->info.fam), i);
                f.evidence << sampleEvidence(*r->first(true), lines.last());
            }
        }
    }
    // Failures on every side that no rule took: a difference from a working network all the same.
    for (const QString &p : m_cellOrder) {
        Cell *r = cell(p, runner());
        if (!r || !r->fails() || claimed(*r) || r->info.fam == Fam::Any || r->info.layer == Layer::App
            || r->info.layer == Layer::Other) {
            continue;
        }
        QStringList alsoFailing;
        for (const QString &i : m_instances) {
            Cell *c = cell(p, i);
            if (c && c->fails() && !claimed(*c)) {
                alsoFailing << i;
            }
        }
        lines << QStringLiteral("%1 (%2, %3): fails on the runner%4")
                     .arg(p, layerName(r->info.layer), famName(r->info.fam),
                         alsoFailing.isEmpty() ? QString()
                                               : QStringLiteral(" and on ") + alsoFailing.join(QStringLiteral(", ")));
        f.evidence << sampleEvidence(*r->first(true), lines.last());
        if (!f.targets.contains(runner())) {
            f.targets.prepend(runner());
        }
        if (!f.families.contains(famKey(r->info.fam))) {
            f.families << famKey(r->info.fam);
        }
    }
    if (lines.isEmpty()) {
        return;
    }
    for (const TopoWarning &w : m_t.warnings) {
        f.evidence << fact(QStringLiteral("discovery"), w.message,
            QStringLiteral("Discovery could not read this (%1), so rules that need it could not run.").arg(w.source));
    }
    const bool others = !m_findings.isEmpty();
    f.title = others ? QStringLiteral("Other differences between the runner and its instances, not explained above")
                     : QStringLiteral("The instances fail where the runner passes, and no known cause fits");
    f.cause
        = QStringLiteral("No rule Nestscope knows matches what the run and the topology show, so it names no cause. "
                         "What differs, probe by probe:\n- ")
        + lines.join(QStringLiteral("\n- "));
    f.confidence = Confidence::Low;
    f.confidenceReason = QStringLiteral("this lists differences only; it is not a cause");
    f.fix.clear();
    add(f);
}

Diagnosis Engine::run()
{
    Diagnosis d;
    buildCells();
    m_notes << m_fw.errors();
    const bool anyRun = std::any_of(m_run.samples.cbegin(), m_run.samples.cend(), [](const Sample &s) {
        return s.status != SampleStatus::Skipped;
    });
    if (!anyRun) {
        d.verdict = Diagnosis::Verdict::NoData;
        d.summary = QStringLiteral("Nothing to judge: the run has no sample that ran.");
        d.notes = m_notes;
        return d;
    }
    bridgeAddressing();
    runnerItself();
    proxyMissing();
    instanceFaults();
    forwarding();
    dns();
    tlsTrust();
    mtu();
    pathMtuBlackHole();
    singleInstance();
    unexplained();

    // Rank: confidence first, then the order the rules ran in (runner before bridge before instance).
    std::stable_sort(m_findings.begin(), m_findings.end(), [](const Finding &a, const Finding &b) {
        const bool au = a.id == QLatin1String("unexplained");
        const bool bu = b.id == QLatin1String("unexplained");
        if (au != bu) {
            return bu;
        }
        return static_cast<int>(a.confidence) < static_cast<int>(b.confidence);
    });
    d.findings = m_findings;
    d.notes = m_notes;
    if (m_findings.isEmpty()) {
        d.verdict = Diagnosis::Verdict::Healthy;
        d.summary = QStringLiteral("Healthy: the instances reach what the runner reaches.");
    } else if (m_findings.size() == 1 && m_findings.first().id == QLatin1String("unexplained")) {
        d.verdict = Diagnosis::Verdict::Unexplained;
        d.summary = QStringLiteral("Unexplained: the instances fail where the runner passes; no known cause fits.");
    } else {
        d.verdict = Diagnosis::Verdict::Explained;
        d.summary = m_findings.first().title;
    }
    return d;
}

// ---- JSON -----------------------------------------------------------------------------------

QJsonArray strings(const QStringList &l)
{
    return QJsonArray::fromStringList(l);
}

QStringList strings(const QJsonValue &v)
{
    QStringList out;
    for (const QJsonValue &s : v.toArray()) {
        out << s.toString();
    }
    return out;
}

Error failure(const QString &message)
{
    return Error { message, QString(), 0, 0 };
}

} // namespace

QString toText(Confidence confidence)
{
    switch (confidence) {
    case Confidence::High:
        return QStringLiteral("high");
    case Confidence::Medium:
        return QStringLiteral("medium");
    case Confidence::Low:
        return QStringLiteral("low");
    }
    return {};
}

std::optional<Confidence> confidenceFromString(const QString &text)
{
    for (const Confidence c : { Confidence::High, Confidence::Medium, Confidence::Low }) {
        if (toText(c) == text) {
            return c;
        }
    }
    return std::nullopt;
}

QString toText(Diagnosis::Verdict verdict)
{
    switch (verdict) {
    case Diagnosis::Verdict::Healthy:
        return QStringLiteral("healthy");
    case Diagnosis::Verdict::Explained:
        return QStringLiteral("explained");
    case Diagnosis::Verdict::Unexplained:
        return QStringLiteral("unexplained");
    case Diagnosis::Verdict::NoData:
        return QStringLiteral("no-data");
    }
    return {};
}

const Finding *Diagnosis::find(const QString &id) const
{
    const auto it = std::find_if(findings.cbegin(), findings.cend(), [&](const Finding &f) {
        return f.id == id;
    });
    return it == findings.cend() ? nullptr : &*it;
}

Diagnosis diagnose(const Topology &topology, const Run &run, const Run *earlier)
{
    return Engine(topology, run, earlier).run();
}

Result<Diagnosis> diagnoseRun(const Run &run, const Run *earlier)
{
    if (run.topologyJson.isEmpty()) {
        return failure(QStringLiteral("the run has no topology snapshot; pass a topology to diagnose it"));
    }
    auto topology = readTopologyJson(run.topologyJson);
    if (!topology) {
        return topology.error();
    }
    return diagnose(topology.value(), run, earlier);
}

QJsonObject toJson(const Diagnosis &d)
{
    QJsonObject root;
    root.insert(QStringLiteral("format"), QStringLiteral("nestscope-diagnosis"));
    root.insert(QStringLiteral("version"), 1);
    root.insert(QStringLiteral("verdict"), toText(d.verdict));
    root.insert(QStringLiteral("summary"), d.summary);
    if (!d.notes.isEmpty()) {
        root.insert(QStringLiteral("notes"), strings(d.notes));
    }
    QJsonArray findings;
    for (const Finding &f : d.findings) {
        QJsonObject o;
        o.insert(QStringLiteral("id"), f.id);
        o.insert(QStringLiteral("title"), f.title);
        o.insert(QStringLiteral("cause"), f.cause);
        o.insert(QStringLiteral("confidence"), toText(f.confidence));
        o.insert(QStringLiteral("confidence_reason"), f.confidenceReason);
        o.insert(QStringLiteral("targets"), strings(f.targets));
        o.insert(QStringLiteral("families"), strings(f.families));
        QJsonArray evidence;
        for (const Evidence &e : f.evidence) {
            QJsonObject eo;
            if (e.kind == Evidence::Kind::Sample) {
                eo.insert(QStringLiteral("kind"), QStringLiteral("sample"));
                eo.insert(QStringLiteral("probe"), e.probeId);
                eo.insert(QStringLiteral("target"), e.target);
                eo.insert(QStringLiteral("repetition"), e.repetition);
                eo.insert(QStringLiteral("status"), e.status);
                eo.insert(QStringLiteral("command"), e.command);
            } else {
                eo.insert(QStringLiteral("kind"), QStringLiteral("fact"));
                eo.insert(QStringLiteral("source"), e.source);
            }
            eo.insert(QStringLiteral("text"), e.text);
            eo.insert(QStringLiteral("note"), e.note);
            evidence.append(eo);
        }
        o.insert(QStringLiteral("evidence"), evidence);
        QJsonArray fix;
        for (const FixStep &s : f.fix) {
            fix.append(QJsonObject { { QStringLiteral("command"), s.command }, { QStringLiteral("revert"), s.revert },
                { QStringLiteral("note"), s.note } });
        }
        o.insert(QStringLiteral("fix"), fix);
        o.insert(QStringLiteral("checks"), strings(f.checks));
        o.insert(QStringLiteral("references"), strings(f.references));
        findings.append(o);
    }
    root.insert(QStringLiteral("findings"), findings);
    return root;
}

Result<Diagnosis> diagnosisFromJson(const QJsonObject &json)
{
    if (json.value(QStringLiteral("format")).toString() != QLatin1String("nestscope-diagnosis")) {
        return failure(QStringLiteral("not a Nestscope diagnosis (\"format\" is not \"nestscope-diagnosis\")"));
    }
    if (json.value(QStringLiteral("version")).toInt() != 1) {
        return failure(QStringLiteral("diagnosis format version %1 is not supported (this build reads 1)")
                           .arg(json.value(QStringLiteral("version")).toInt()));
    }
    Diagnosis d;
    const QString verdict = json.value(QStringLiteral("verdict")).toString();
    bool known = false;
    for (const auto v : { Diagnosis::Verdict::Healthy, Diagnosis::Verdict::Explained, Diagnosis::Verdict::Unexplained,
             Diagnosis::Verdict::NoData }) {
        if (toText(v) == verdict) {
            d.verdict = v;
            known = true;
        }
    }
    if (!known) {
        return failure(QStringLiteral("verdict: unknown value \"%1\"").arg(verdict));
    }
    d.summary = json.value(QStringLiteral("summary")).toString();
    d.notes = strings(json.value(QStringLiteral("notes")));
    const QJsonArray findings = json.value(QStringLiteral("findings")).toArray();
    for (qsizetype i = 0; i < findings.size(); ++i) {
        const QJsonObject o = findings.at(i).toObject();
        Finding f;
        f.id = o.value(QStringLiteral("id")).toString();
        if (f.id.isEmpty()) {
            return failure(QStringLiteral("findings[%1]: no id").arg(i));
        }
        f.title = o.value(QStringLiteral("title")).toString();
        f.cause = o.value(QStringLiteral("cause")).toString();
        const auto c = confidenceFromString(o.value(QStringLiteral("confidence")).toString());
        if (!c) {
            return failure(QStringLiteral("findings[%1].confidence: expected high, medium or low").arg(i));
        }
        f.confidence = *c;
        f.confidenceReason = o.value(QStringLiteral("confidence_reason")).toString();
        f.targets = strings(o.value(QStringLiteral("targets")));
        f.families = strings(o.value(QStringLiteral("families")));
        for (const QJsonValue &ev : o.value(QStringLiteral("evidence")).toArray()) {
            const QJsonObject eo = ev.toObject();
            Evidence e;
            const QString kind = eo.value(QStringLiteral("kind")).toString();
            if (kind == QLatin1String("sample")) {
                e.kind = Evidence::Kind::Sample;
                e.probeId = eo.value(QStringLiteral("probe")).toString();
                e.target = eo.value(QStringLiteral("target")).toString();
                e.repetition = eo.value(QStringLiteral("repetition")).toInt();
                e.status = eo.value(QStringLiteral("status")).toString();
                e.command = eo.value(QStringLiteral("command")).toString();
            } else if (kind == QLatin1String("fact")) {
                e.kind = Evidence::Kind::Fact;
                e.source = eo.value(QStringLiteral("source")).toString();
            } else {
                return failure(QStringLiteral("findings[%1].evidence: kind must be sample or fact").arg(i));
            }
            e.text = eo.value(QStringLiteral("text")).toString();
            e.note = eo.value(QStringLiteral("note")).toString();
            f.evidence << e;
        }
        for (const QJsonValue &sv : o.value(QStringLiteral("fix")).toArray()) {
            const QJsonObject so = sv.toObject();
            f.fix << FixStep { so.value(QStringLiteral("command")).toString(),
                so.value(QStringLiteral("revert")).toString(), so.value(QStringLiteral("note")).toString() };
        }
        f.checks = strings(o.value(QStringLiteral("checks")));
        f.references = strings(o.value(QStringLiteral("references")));
        d.findings << f;
    }
    return d;
}

Run withStalledProbes(const Run &run, const QList<RunningProbe> &running, qint64 stallMs)
{
    if (running.isEmpty()) {
        return run;
    }
    QHash<QString, double> runnerPass; // probe -> the runner's fastest passing sample, ms
    QSet<QString> finished; // probe|target with a finished sample
    for (const Sample &s : run.samples) {
        finished.insert(s.probeId + QLatin1Char('|') + s.target);
        if (s.target == QLatin1String("runner") && s.status == SampleStatus::Pass) {
            const auto it = runnerPass.find(s.probeId);
            if (it == runnerPass.end() || s.latencyMs < *it) {
                runnerPass.insert(s.probeId, s.latencyMs);
            }
        }
    }
    Run out = run;
    QSet<QString> added;
    for (const RunningProbe &p : running) {
        const QString cell = p.probeId + QLatin1Char('|') + p.target;
        if (finished.contains(cell) || added.contains(cell)) {
            continue;
        }
        const auto reference = runnerPass.constFind(p.probeId);
        const bool slowerThanRunner = p.target != QLatin1String("runner") && reference != runnerPass.cend()
            && p.elapsedMs >= stallMs && double(p.elapsedMs) >= 4 * *reference;
        const bool unanswered = p.quickAnswer && p.elapsedMs >= std::max<qint64>(stallMs, 3000);
        if (!slowerThanRunner && !unanswered) {
            continue;
        }
        added.insert(cell);
        Sample s;
        s.probeId = p.probeId;
        s.target = p.target;
        s.status = SampleStatus::Timeout;
        s.latencyMs = double(p.elapsedMs);
        const QString after = QString::number(double(p.elapsedMs) / 1000.0, 'f', 1);
        s.message = slowerThanRunner
            ? QStringLiteral("still running: no answer after %1 s, while the runner's passed in %2 ms")
                  .arg(after)
                  .arg(*reference, 0, 'f', 0)
            : QStringLiteral("still running: no answer after %1 s, where a lookup or a connect that works answers in "
                             "milliseconds")
                  .arg(after);
        out.samples << s;
    }
    return out;
}

} // namespace nestscope
