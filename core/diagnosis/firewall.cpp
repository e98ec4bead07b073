#include "firewall.h"

#include "topology/parsers.h"

#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace nestscope::fwmodel {

namespace {

using Family = TopoAddress::Family;

enum class Tri { No, Yes, Maybe };

Tri fromBool(bool b)
{
    return b ? Tri::Yes : Tri::No;
}

Tri negate(Tri t, bool negated)
{
    if (!negated || t == Tri::Maybe) {
        return t;
    }
    return t == Tri::Yes ? Tri::No : Tri::Yes;
}

/// Interface names in iptables end in "+" and in nft in "*" for "any name starting with".
bool interfaceMatches(const QString &pattern, const QString &name)
{
    if (pattern.endsWith(QLatin1Char('+')) || pattern.endsWith(QLatin1Char('*'))) {
        return name.startsWith(pattern.chopped(1));
    }
    return pattern == name;
}

bool addressIn(const QString &address, const QString &cidr)
{
    const QHostAddress a(address);
    if (a.isNull()) {
        return false;
    }
    if (!cidr.contains(QLatin1Char('/'))) {
        return a.isEqual(QHostAddress(cidr));
    }
    const auto subnet = QHostAddress::parseSubnet(cidr);
    return subnet.first.isNull() ? false : a.isInSubnet(subnet);
}

/// Splits an iptables-save line into words; "--comment "a b"" keeps its quoted words together.
QStringList words(const QString &line)
{
    QStringList out;
    QString current;
    bool quoted = false;
    bool any = false;
    for (qsizetype i = 0; i < line.size(); ++i) {
        const QChar c = line.at(i);
        if (c == QLatin1Char('"')) {
            quoted = !quoted;
            any = true;
        } else if (c == QLatin1Char('\\') && quoted && i + 1 < line.size()) {
            current += line.at(++i);
        } else if (c.isSpace() && !quoted) {
            if (any) {
                out << current;
                current.clear();
                any = false;
            }
        } else {
            current += c;
            any = true;
        }
    }
    if (any) {
        out << current;
    }
    return out;
}

bool portIn(int port, const QString &spec)
{
    for (const QString &part : spec.split(QLatin1Char(','))) {
        const QStringList range = part.split(QLatin1Char(':'));
        bool ok1 = false;
        bool ok2 = false;
        const int lo = range.value(0).toInt(&ok1);
        const int hi = range.size() > 1 ? range.value(1).toInt(&ok2) : lo;
        if (ok1 && (range.size() == 1 || ok2) && port >= lo && port <= hi) {
            return true;
        }
    }
    return false;
}

QString stateName(Packet::State s)
{
    return s == Packet::State::New ? QStringLiteral("NEW") : QStringLiteral("ESTABLISHED");
}

Tri iptMatch(const IptRule &rule, const Packet &p)
{
    if (!rule.unknownOptions.isEmpty()) {
        // Unknown matches can only narrow a rule: when the known ones already miss, it misses.
        bool miss = false;
        IptRule known = rule;
        known.unknownOptions.clear();
        miss = iptMatch(known, p) == Tri::No;
        return miss ? Tri::No : Tri::Maybe;
    }
    for (const IptRule::Match &m : rule.matches) {
        Tri t = Tri::Yes;
        if (m.option == QLatin1String("-i")) {
            t = fromBool(interfaceMatches(m.value, p.inInterface));
        } else if (m.option == QLatin1String("-o")) {
            t = fromBool(!p.outInterface.isEmpty() && interfaceMatches(m.value, p.outInterface));
        } else if (m.option == QLatin1String("-s") || m.option == QLatin1String("-d")) {
            const QString &addr = m.option == QLatin1String("-s") ? p.source : p.destination;
            bool any = false;
            for (const QString &c : m.value.split(QLatin1Char(','))) {
                any = any || addressIn(addr, c);
            }
            t = fromBool(any);
        } else if (m.option == QLatin1String("-p")) {
            const QString v = m.value.toLower();
            t = fromBool(v == QLatin1String("all") || v == p.protocol
                || (v == QLatin1String("ipv6-icmp") && p.protocol == QLatin1String("icmpv6")));
        } else if (m.option == QLatin1String("--dport") || m.option == QLatin1String("--dports")
            || m.option == QLatin1String("--destination-port")) {
            t = fromBool(portIn(p.destinationPort, m.value));
        } else if (m.option == QLatin1String("--ctstate") || m.option == QLatin1String("--state")) {
            t = fromBool(m.value.split(QLatin1Char(',')).contains(stateName(p.state)));
        }
        t = negate(t, m.negated);
        if (t == Tri::No) {
            return Tri::No;
        }
    }
    return Tri::Yes;
}

bool isBuiltin(const QString &chain)
{
    static const QStringList builtins { QStringLiteral("INPUT"), QStringLiteral("FORWARD"), QStringLiteral("OUTPUT"),
        QStringLiteral("PREROUTING"), QStringLiteral("POSTROUTING") };
    return builtins.contains(chain);
}

/// Walks one iptables chain. Returns a decision for a terminal verdict, nothing to fall through.
std::optional<Decision> walkIpt(const IptRuleset &rs, const QString &table, const QString &chainName, const Packet &p,
    QStringList path, QStringList &unread, int depth)
{
    const IptChain *chain = rs.chain(table, chainName);
    if (!chain || depth > 32) {
        return std::nullopt;
    }
    const QString source
        = rs.family == Family::IPv4 ? QStringLiteral("iptables-save") : QStringLiteral("ip6tables-save");
    for (const IptRule &rule : chain->rules) {
        const Tri t = iptMatch(rule, p);
        if (t == Tri::No) {
            continue;
        }
        if (t == Tri::Maybe) {
            unread << rule.line;
            continue;
        }
        const QString &target = rule.target;
        auto decision = [&](Verdict v) {
            Decision d;
            d.verdict = v;
            d.source = source;
            d.table = table;
            d.chain = chainName;
            d.ruleText = rule.line;
            d.path = path;
            d.position = rule.position;
            return d;
        };
        if (target == QLatin1String("ACCEPT")) {
            return decision(Verdict::Accept);
        }
        if (target == QLatin1String("DROP")) {
            return decision(Verdict::Drop);
        }
        if (target == QLatin1String("REJECT")) {
            return decision(Verdict::Reject);
        }
        if (target == QLatin1String("RETURN")) {
            return std::nullopt;
        }
        if (rs.chain(table, target)) {
            QStringList deeper = path;
            deeper << rule.line;
            auto sub = walkIpt(rs, table, target, p, deeper, unread, depth + 1);
            if (sub) {
                return sub;
            }
            if (rule.isGoto) {
                return std::nullopt;
            }
            continue;
        }
        // LOG, MARK, CT, TCPMSS, ... do not decide; the walk goes on.
    }
    if (isBuiltin(chainName) && !chain->policy.isEmpty() && chain->policy != QLatin1String("-")) {
        Decision d;
        d.verdict = chain->policy == QLatin1String("DROP") ? Verdict::Drop : Verdict::Accept;
        d.source = source;
        d.table = table;
        d.chain = chainName;
        d.byPolicy = true;
        d.ruleText = chain->policyLine;
        d.path = path;
        return d;
    }
    return std::nullopt;
}

// ---- nft ------------------------------------------------------------------------------------

/// A value of the packet that an nft expression names, or nothing when the model does not know it.
std::optional<QString> nftValue(const QJsonObject &left, const Packet &p, bool &familyMismatch)
{
    const bool v4 = p.family == Family::IPv4;
    if (left.contains(QLatin1String("meta"))) {
        const QString key = left.value(QLatin1String("meta")).toObject().value(QLatin1String("key")).toString();
        if (key == QLatin1String("iifname") || key == QLatin1String("iif")) {
            return p.inInterface;
        }
        if (key == QLatin1String("oifname") || key == QLatin1String("oif")) {
            return p.outInterface;
        }
        if (key == QLatin1String("nfproto")) {
            return v4 ? QStringLiteral("ipv4") : QStringLiteral("ipv6");
        }
        if (key == QLatin1String("l4proto")) {
            return p.protocol == QLatin1String("icmpv6") ? QStringLiteral("ipv6-icmp") : p.protocol;
        }
        return std::nullopt;
    }
    if (left.contains(QLatin1String("payload"))) {
        const QJsonObject pl = left.value(QLatin1String("payload")).toObject();
        const QString proto = pl.value(QLatin1String("protocol")).toString();
        const QString field = pl.value(QLatin1String("field")).toString();
        if (proto == QLatin1String("ip") || proto == QLatin1String("ip6")) {
            if ((proto == QLatin1String("ip")) != v4) {
                familyMismatch = true;
                return QString();
            }
            if (field == QLatin1String("saddr")) {
                return p.source;
            }
            if (field == QLatin1String("daddr")) {
                return p.destination;
            }
            if (field == QLatin1String("version")) {
                return v4 ? QStringLiteral("4") : QStringLiteral("6");
            }
            if (field == QLatin1String("protocol") || field == QLatin1String("nexthdr")) {
                return p.protocol == QLatin1String("icmpv6") ? QStringLiteral("ipv6-icmp") : p.protocol;
            }
            return std::nullopt;
        }
        if (proto == QLatin1String("tcp") || proto == QLatin1String("udp")) {
            if (proto != p.protocol) {
                familyMismatch = true; // a tcp match never matches a udp packet
                return QString();
            }
            if (field == QLatin1String("dport")) {
                return QString::number(p.destinationPort);
            }
            return std::nullopt;
        }
        if (proto == QLatin1String("icmp") || proto == QLatin1String("icmpv6")) {
            if (proto != p.protocol) {
                familyMismatch = true;
                return QString();
            }
            return std::nullopt;
        }
        return std::nullopt;
    }
    if (left.contains(QLatin1String("ct"))) {
        const QString key = left.value(QLatin1String("ct")).toObject().value(QLatin1String("key")).toString();
        if (key == QLatin1String("state")) {
            return p.state == Packet::State::New ? QStringLiteral("new") : QStringLiteral("established");
        }
        return std::nullopt;
    }
    return std::nullopt;
}

/// Whether `value` is one of what `right` names (a string, a number, a prefix, a set, a range).
std::optional<bool> nftContains(const QJsonValue &right, const QString &value, bool isAddress)
{
    if (right.isString()) {
        const QString r = right.toString();
        if (isAddress) {
            return addressIn(value, r);
        }
        return interfaceMatches(r, value) || r == value;
    }
    if (right.isDouble()) {
        return QString::number(right.toInteger()) == value;
    }
    if (right.isArray()) {
        // ct state given as a list of flags
        for (const QJsonValue &v : right.toArray()) {
            const auto r = nftContains(v, value, isAddress);
            if (!r) {
                return std::nullopt;
            }
            if (*r) {
                return true;
            }
        }
        return false;
    }
    const QJsonObject o = right.toObject();
    if (o.contains(QLatin1String("prefix"))) {
        const QJsonObject pre = o.value(QLatin1String("prefix")).toObject();
        return addressIn(value,
            pre.value(QLatin1String("addr")).toString() + QLatin1Char('/')
                + QString::number(pre.value(QLatin1String("len")).toInteger()));
    }
    if (o.contains(QLatin1String("set"))) {
        return nftContains(o.value(QLatin1String("set")), value, isAddress);
    }
    if (o.contains(QLatin1String("range"))) {
        const QJsonArray r = o.value(QLatin1String("range")).toArray();
        bool ok = false;
        const int v = value.toInt(&ok);
        if (!ok || r.size() != 2 || !r.at(0).isDouble()) {
            return std::nullopt;
        }
        return v >= r.at(0).toInt() && v <= r.at(1).toInt();
    }
    return std::nullopt;
}

bool isAddressField(const QJsonObject &left)
{
    const QJsonObject pl = left.value(QLatin1String("payload")).toObject();
    const QString field = pl.value(QLatin1String("field")).toString();
    return field == QLatin1String("saddr") || field == QLatin1String("daddr");
}

Tri nftMatch(const QJsonObject &m, const Packet &p)
{
    const QString op = m.value(QLatin1String("op")).toString();
    const QJsonObject left = m.value(QLatin1String("left")).toObject();
    bool mismatch = false;
    const auto value = nftValue(left, p, mismatch);
    if (mismatch) {
        return Tri::No;
    }
    if (!value) {
        return Tri::Maybe;
    }
    const auto in = nftContains(m.value(QLatin1String("right")), *value, isAddressField(left));
    if (!in) {
        return Tri::Maybe;
    }
    if (op == QLatin1String("==") || op == QLatin1String("in")) {
        return fromBool(*in);
    }
    if (op == QLatin1String("!=")) {
        return fromBool(!*in);
    }
    return Tri::Maybe;
}

struct NftOutcome {
    enum class Kind { Continue, Verdict, Return } kind = Kind::Continue;
    Decision decision;
};

NftOutcome walkNft(
    const NftRuleset &rs, const NftChain &chain, const Packet &p, QStringList path, QStringList &unread, int depth);

QString chainLabel(const NftChain &c)
{
    return QStringLiteral("table %1 %2 chain %3").arg(c.family, c.table, c.name);
}

/// Applies a verdict statement ({"accept": null}, {"jump": {...}}, ...) found by a rule.
std::optional<NftOutcome> nftVerdict(const NftRuleset &rs, const NftChain &chain, const NftRule &rule, int position,
    const QJsonObject &s, const Packet &p, const QStringList &path, QStringList &unread, int depth)
{
    auto decided = [&](Verdict v) {
        NftOutcome o;
        o.kind = NftOutcome::Kind::Verdict;
        o.decision.verdict = v;
        o.decision.source = QStringLiteral("nft -j list ruleset");
        o.decision.table = chain.family + QLatin1Char(' ') + chain.table;
        o.decision.chain = chain.name;
        o.decision.ruleText = chainLabel(chain) + QStringLiteral(": ") + rule.text;
        o.decision.nftRuleBody = rule.text;
        o.decision.nftHandle = rule.handle;
        o.decision.path = path;
        o.decision.position = position;
        return o;
    };
    if (s.contains(QLatin1String("accept"))) {
        return decided(Verdict::Accept);
    }
    if (s.contains(QLatin1String("drop"))) {
        return decided(Verdict::Drop);
    }
    if (s.contains(QLatin1String("reject"))) {
        return decided(Verdict::Reject);
    }
    if (s.contains(QLatin1String("return"))) {
        NftOutcome o;
        o.kind = NftOutcome::Kind::Return;
        return o;
    }
    if (s.contains(QLatin1String("jump")) || s.contains(QLatin1String("goto"))) {
        const bool isGoto = s.contains(QLatin1String("goto"));
        const QString target = s.value(isGoto ? QLatin1String("goto") : QLatin1String("jump"))
                                   .toObject()
                                   .value(QLatin1String("target"))
                                   .toString();
        const NftChain *sub = rs.chain(chain.family, chain.table, target);
        if (!sub) {
            return std::nullopt;
        }
        QStringList deeper = path;
        deeper << chainLabel(chain) + QStringLiteral(": ") + rule.text;
        NftOutcome o = walkNft(rs, *sub, p, deeper, unread, depth + 1);
        if (o.kind == NftOutcome::Kind::Verdict) {
            return o;
        }
        if (isGoto) {
            NftOutcome r;
            r.kind = NftOutcome::Kind::Return;
            return r;
        }
        return NftOutcome {};
    }
    return std::nullopt;
}

NftOutcome walkNft(
    const NftRuleset &rs, const NftChain &chain, const Packet &p, QStringList path, QStringList &unread, int depth)
{
    if (depth > 32) {
        return {};
    }
    for (qsizetype index = 0; index < chain.rules.size(); ++index) {
        const NftRule &rule = chain.rules.at(index);
        const int position = int(index) + 1;
        bool maybe = false;
        bool miss = false;
        std::optional<NftOutcome> outcome;
        for (const QJsonValue &v : rule.expr) {
            const QJsonObject s = v.toObject();
            if (s.contains(QLatin1String("match"))) {
                const Tri t = nftMatch(s.value(QLatin1String("match")).toObject(), p);
                if (t == Tri::No) {
                    miss = true;
                    break;
                }
                maybe = maybe || t == Tri::Maybe;
                continue;
            }
            if (s.contains(QLatin1String("counter")) || s.contains(QLatin1String("log"))
                || s.contains(QLatin1String("limit")) || s.contains(QLatin1String("mangle"))) {
                continue;
            }
            if (s.contains(QLatin1String("vmap"))) {
                const QJsonObject vm = s.value(QLatin1String("vmap")).toObject();
                bool mismatch = false;
                const auto value = nftValue(vm.value(QLatin1String("key")).toObject(), p, mismatch);
                if (!value || mismatch) {
                    maybe = true;
                    break;
                }
                const QJsonArray elems
                    = vm.value(QLatin1String("data")).toObject().value(QLatin1String("set")).toArray();
                bool found = false;
                for (const QJsonValue &e : elems) {
                    const QJsonArray pair = e.toArray();
                    const auto in = nftContains(pair.at(0), *value, false);
                    if (!in) {
                        maybe = true;
                        break;
                    }
                    if (*in) {
                        found = true;
                        if (!maybe) {
                            outcome
                                = nftVerdict(rs, chain, rule, position, pair.at(1).toObject(), p, path, unread, depth);
                        }
                        break;
                    }
                }
                if (!found && !maybe) {
                    miss = true;
                }
                break;
            }
            if (maybe) {
                break;
            }
            outcome = nftVerdict(rs, chain, rule, position, s, p, path, unread, depth);
            if (!outcome && !(s.contains(QLatin1String("jump")) || s.contains(QLatin1String("goto")))) {
                // A statement this model does not read (xt, queue, a map, ...): the rule is only "maybe".
                const bool nonTerminal = s.contains(QLatin1String("masquerade")) || s.contains(QLatin1String("snat"))
                    || s.contains(QLatin1String("dnat")) || s.contains(QLatin1String("meta"))
                    || s.contains(QLatin1String("ct"));
                if (!nonTerminal) {
                    maybe = true;
                }
                continue;
            }
            break;
        }
        if (miss) {
            continue;
        }
        if (maybe) {
            unread << chainLabel(chain) + QStringLiteral(": ") + rule.text;
            continue;
        }
        if (outcome && outcome->kind != NftOutcome::Kind::Continue) {
            return *outcome;
        }
    }
    if (chain.isBase()) {
        NftOutcome o;
        o.kind = NftOutcome::Kind::Verdict;
        o.decision.verdict = chain.policy == QLatin1String("drop") ? Verdict::Drop : Verdict::Accept;
        o.decision.source = QStringLiteral("nft -j list ruleset");
        o.decision.table = chain.family + QLatin1Char(' ') + chain.table;
        o.decision.chain = chain.name;
        o.decision.byPolicy = true;
        o.decision.ruleText = QStringLiteral("%1 { type %2 hook %3 priority %4; policy %5; }")
                                  .arg(chainLabel(chain), chain.type, chain.hook)
                                  .arg(chain.priority)
                                  .arg(chain.policy.isEmpty() ? QStringLiteral("accept") : chain.policy);
        o.decision.path = path;
        return o;
    }
    return {};
}

bool nftFamilyCovers(const QString &family, Family f)
{
    if (family == QLatin1String("inet")) {
        return true;
    }
    return family == (f == Family::IPv4 ? QLatin1String("ip") : QLatin1String("ip6"));
}

bool isIptablesNftTable(const QString &family, const QString &name)
{
    static const QStringList names { QStringLiteral("filter"), QStringLiteral("nat"), QStringLiteral("mangle"),
        QStringLiteral("raw"), QStringLiteral("security") };
    return (family == QLatin1String("ip") || family == QLatin1String("ip6")) && names.contains(name);
}

} // namespace

QString toText(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Accept:
        return QStringLiteral("accept");
    case Verdict::Drop:
        return QStringLiteral("drop");
    case Verdict::Reject:
        return QStringLiteral("reject");
    }
    return {};
}

const IptChain *IptRuleset::chain(const QString &table, const QString &name) const
{
    const auto t = tables.constFind(table);
    if (t == tables.cend()) {
        return nullptr;
    }
    const auto c = t->constFind(name);
    return c == t->cend() ? nullptr : &*c;
}

SplitSave splitIptablesSave(const QString &raw)
{
    const qsizetype header = raw.indexOf(QLatin1String("# Generated by ip6tables-save"));
    if (header >= 0) {
        return { raw.left(header), raw.mid(header) };
    }
    // Without headers: a table seen a second time starts the second (IPv6) dump.
    QStringList seen;
    qsizetype offset = 0;
    for (const QString &line : raw.split(QLatin1Char('\n'))) {
        if (line.startsWith(QLatin1Char('*'))) {
            if (seen.contains(line)) {
                return { raw.left(offset), raw.mid(offset) };
            }
            seen << line;
        }
        offset += line.size() + 1;
    }
    return { raw, QString() };
}

Result<IptRuleset> parseIptRules(const QString &text, TopoAddress::Family family)
{
    // The shape is checked by the topology's own parser; this one only reads the rules in order.
    if (auto checked = topoparse::parseIptablesSave(text.toUtf8(), family); !checked) {
        return checked.error();
    }
    static const QStringList known { QStringLiteral("-i"), QStringLiteral("-o"), QStringLiteral("-s"),
        QStringLiteral("-d"), QStringLiteral("-p"), QStringLiteral("--dport"), QStringLiteral("--dports"),
        QStringLiteral("--destination-port"), QStringLiteral("--ctstate"), QStringLiteral("--state") };
    static const QStringList readModules { QStringLiteral("tcp"), QStringLiteral("udp"), QStringLiteral("conntrack"),
        QStringLiteral("state"), QStringLiteral("comment"), QStringLiteral("multiport"), QStringLiteral("icmp"),
        QStringLiteral("icmp6") };
    IptRuleset rs;
    rs.family = family;
    QString table;
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (const QString &rawLine : lines) {
        const QString line = rawLine.trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#'))) {
            continue;
        }
        if (line.startsWith(QLatin1Char('*'))) {
            table = line.mid(1);
            rs.tables[table];
            continue;
        }
        if (line == QLatin1String("COMMIT")) {
            table.clear();
            continue;
        }
        if (line.startsWith(QLatin1Char(':'))) {
            const QStringList w = line.mid(1).split(QLatin1Char(' '));
            IptChain &c = rs.tables[table][w.value(0)];
            c.name = w.value(0);
            c.policy = w.value(1);
            c.policyLine = line;
            continue;
        }
        if (!line.startsWith(QLatin1String("-A ")) && !line.startsWith(QLatin1String("-I "))) {
            continue;
        }
        const QStringList w = words(line);
        IptRule rule;
        rule.chain = w.value(1);
        rule.line = line;
        rule.spec = line.section(QLatin1Char(' '), 2);
        bool negated = false;
        for (qsizetype i = 2; i < w.size(); ++i) {
            const QString &opt = w.at(i);
            if (opt == QLatin1String("!")) {
                negated = true;
                continue;
            }
            if (opt == QLatin1String("-j") || opt == QLatin1String("-g")) {
                rule.target = w.value(i + 1);
                rule.isGoto = opt == QLatin1String("-g");
                break; // what follows belongs to the target (--reject-with, --log-prefix, ...)
            }
            const QString value = w.value(i + 1);
            if (opt == QLatin1String("-m")) {
                if (!readModules.contains(value)) {
                    rule.unknownOptions << opt + QLatin1Char(' ') + value;
                }
                ++i;
            } else if (opt == QLatin1String("--comment")) {
                ++i;
            } else if (known.contains(opt)) {
                rule.matches << IptRule::Match { opt, value, negated };
                ++i;
            } else {
                rule.unknownOptions << opt;
                if (!value.startsWith(QLatin1Char('-'))) {
                    ++i;
                }
            }
            negated = false;
        }
        IptChain &c = rs.tables[table][rule.chain];
        c.name = rule.chain;
        rule.position = int(c.rules.size()) + 1;
        c.rules << rule;
    }
    return rs;
}

const NftChain *NftRuleset::chain(const QString &family, const QString &table, const QString &name) const
{
    const auto it = std::find_if(chains.cbegin(), chains.cend(), [&](const NftChain &c) {
        return c.family == family && c.table == table && c.name == name;
    });
    return it == chains.cend() ? nullptr : &*it;
}

Result<NftRuleset> parseNftRules(const QByteArray &json)
{
    if (auto checked = topoparse::parseNftRuleset(json); !checked) {
        return checked.error();
    }
    NftRuleset rs;
    const QJsonArray items = QJsonDocument::fromJson(json).object().value(QLatin1String("nftables")).toArray();
    for (const QJsonValue &v : items) {
        const QJsonObject item = v.toObject();
        if (item.contains(QLatin1String("chain"))) {
            const QJsonObject c = item.value(QLatin1String("chain")).toObject();
            NftChain chain;
            chain.family = c.value(QLatin1String("family")).toString();
            chain.table = c.value(QLatin1String("table")).toString();
            chain.name = c.value(QLatin1String("name")).toString();
            chain.hook = c.value(QLatin1String("hook")).toString();
            chain.type = c.value(QLatin1String("type")).toString();
            chain.priority = c.value(QLatin1String("prio")).toInt();
            chain.policy = c.value(QLatin1String("policy")).toString();
            rs.chains << chain;
        } else if (item.contains(QLatin1String("rule"))) {
            const QJsonObject r = item.value(QLatin1String("rule")).toObject();
            const QString family = r.value(QLatin1String("family")).toString();
            const QString table = r.value(QLatin1String("table")).toString();
            const QString name = r.value(QLatin1String("chain")).toString();
            auto it = std::find_if(rs.chains.begin(), rs.chains.end(), [&](const NftChain &c) {
                return c.family == family && c.table == table && c.name == name;
            });
            if (it == rs.chains.end()) {
                NftChain chain;
                chain.family = family;
                chain.table = table;
                chain.name = name;
                rs.chains << chain;
                it = rs.chains.end() - 1;
            }
            NftRule rule;
            rule.handle = r.value(QLatin1String("handle")).toInteger(-1);
            rule.expr = r.value(QLatin1String("expr")).toArray();
            rule.text = topoparse::nftRuleText(rule.expr);
            it->rules << rule;
        }
    }
    return rs;
}

Firewall::Firewall(const TopoFirewall &firewall)
{
    const SplitSave split = splitIptablesSave(firewall.rawIptablesSave);
    if (!split.v4.trimmed().isEmpty()) {
        auto r = parseIptRules(split.v4, Family::IPv4);
        if (r) {
            m_v4 = r.value();
        } else {
            m_errors << r.error().toString();
        }
    }
    if (!split.v6.trimmed().isEmpty()) {
        auto r = parseIptRules(split.v6, Family::IPv6);
        if (r) {
            m_v6 = r.value();
        } else {
            m_errors << r.error().toString();
        }
    }
    if (!firewall.rawNftJson.trimmed().isEmpty()) {
        auto r = parseNftRules(firewall.rawNftJson.toUtf8());
        if (r) {
            m_nft = r.value();
        } else {
            m_errors << r.error().toString();
        }
    }
}

bool Firewall::knows(TopoAddress::Family family) const
{
    return !iptables(family).isEmpty() || !m_nft.isEmpty();
}

QList<Decision> Firewall::refusals(const QString &hook, const Packet &packet) const
{
    QList<Decision> out;
    const IptRuleset &ipt = iptables(packet.family);
    const QString builtin = hook.toUpper();
    if (ipt.chain(QStringLiteral("filter"), builtin)) {
        QStringList unread;
        auto d = walkIpt(ipt, QStringLiteral("filter"), builtin, packet, {}, unread, 0);
        if (d && d->verdict != Verdict::Accept) {
            d->unread = unread;
            out << *d;
        }
    }
    QList<const NftChain *> bases;
    for (const NftChain &c : m_nft.chains) {
        if (!c.isBase() || c.hook != hook || c.type != QLatin1String("filter")
            || !nftFamilyCovers(c.family, packet.family)) {
            continue;
        }
        // iptables-nft keeps its tables in nftables too; when iptables-save was read they count once.
        if (isIptablesNftTable(c.family, c.table) && !ipt.isEmpty()) {
            continue;
        }
        bases << &c;
    }
    std::stable_sort(bases.begin(), bases.end(), [](const NftChain *a, const NftChain *b) {
        return a->priority < b->priority;
    });
    for (const NftChain *c : bases) {
        QStringList unread;
        NftOutcome o = walkNft(m_nft, *c, packet, {}, unread, 0);
        if (o.kind == NftOutcome::Kind::Verdict && o.decision.verdict != Verdict::Accept) {
            o.decision.unread = unread;
            out << o.decision;
        }
    }
    return out;
}

} // namespace nestscope::fwmodel
