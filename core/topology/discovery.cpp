#include "discovery.h"

#include "topology/lxderror.h"
#include "topology/parsers.h"
#include "transport/transport.h"

#include <QHash>
#include <QLoggingCategory>
#include <QMetaObject>
#include <QRegularExpression>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <chrono>
#include <tuple>

namespace nestscope {

namespace {

Q_LOGGING_CATEGORY(lcDiscovery, "nestscope.topology", QtWarningMsg)

const QByteArray kMagic = QByteArrayLiteral("nestscope-discovery ");

// Sections (what the script runs):
//   hostname, uname-r, resolv.conf        cat /proc/sys/kernel/hostname, uname -r, cat /etc/resolv.conf
//   ip-addr, ip-route-4, ip-route-6       ip -j -d addr (links with kind and master, and addresses),
//                                         ip -j -4|-6 route show table all
//   ip-rule-4, ip-rule-6                  ip -j -4|-6 rule show (policy routing: which table a packet gets)
//   proxy-env                             the session's *_proxy variables, /etc/environment's, apt's
//                                         Acquire::*::Proxy; user and password masked before they leave
//   sysctl:<name>                         cat /proc/sys/<name with dots as slashes>
//   nft, iptables-save, ip6tables-save    as root, or through `sudo -n` when the user may
//   iptables-version                      iptables -V (the backend: nf_tables or legacy)
//   lxd-clients                           the clients on the PATH, one a line ("lxc", "incus")
//   lxd-client                            the one used: "lxc" or "incus", as preferred (exit 127: none)
//   lxd-server, lxd-networks,             <client> query /1.0, /1.0/networks?recursion=1,
//   lxd-instances                         /1.0/instances?recursion=2 (with state)
//   lxd-network-list                      <client> query /1.0/networks: the URLs the lease loop reads
//   lxd-leases:<network>                  <client> query /1.0/networks/<network>/leases, for each
//                                         network in that list that is a bridge on this host
//
// Framing: a header line "nestscope-discovery 1 <boundary>" with a random boundary, then per
// command "\n<boundary> section NAME exit RC stdout N stderr M\n" followed by exactly N bytes of
// stdout and M of stderr, and "\n<boundary> end\n" at the end. Lengths make output without a
// trailing newline or with binary bytes harmless; the boundary makes a desynchronised parse fail
// loudly instead of reading a command's output as a header. The lease loop lists networks from
// the JSON URL list with sed (the names are [A-Za-z0-9_.-] in the default project) rather than
// scraping `lxc network list`, and asks only for bridges that exist on this host: one round trip.
const char kScript[] = R"SH(# nestscope topology discovery
LC_ALL=C; export LC_ALL
PATH="$PATH:/snap/bin:/usr/local/sbin:/usr/sbin:/sbin"; export PATH
umask 077
b=$(od -An -N12 -tx1 /dev/urandom 2>/dev/null | tr -d ' \n')
[ -n "$b" ] || b="$$x$(date +%s 2>/dev/null)"
b="nsd-$b"
d=$(mktemp -d 2>/dev/null) || { d="${TMPDIR:-/tmp}/nestscope-discovery.$$"; mkdir "$d" || exit 70; }
trap 'rm -rf "$d"' EXIT
trap 'exit 130' HUP INT TERM
T=
if timeout --foreground 5 true >/dev/null 2>&1; then T="timeout --foreground 25"; fi
S=
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then S="sudo -n"; fi
emit() {
  head -c 65536 "$d/e" >"$d/e2"
  printf '\n%s section %s exit %s stdout %s stderr %s\n' "$b" "$1" "$2" "$(wc -c <"$d/o" | tr -d ' ')" "$(wc -c <"$d/e2" | tr -d ' ')"
  cat "$d/o" "$d/e2"
}
sec() {
  n=$1; shift
  if command -v "$1" >/dev/null 2>&1; then
    $T "$@" >"$d/o" 2>"$d/e" </dev/null; rc=$?
  else
    : >"$d/o"; echo "$1: command not found" >"$d/e"; rc=127
  fi
  emit "$n" "$rc"
}
priv() {
  n=$1; shift
  if [ -n "$S" ] && command -v "$1" >/dev/null 2>&1; then sec "$n" $S "$@"; else sec "$n" "$@"; fi
}
printf 'nestscope-discovery 1 %s\n' "$b"
sec hostname cat /proc/sys/kernel/hostname
sec uname-r uname -r
sec resolv.conf cat /etc/resolv.conf
sec ip-addr ip -j -d addr
sec ip-route-4 ip -j -4 route show table all
sec ip-route-6 ip -j -6 route show table all
sec ip-rule-4 ip -j -4 rule show
sec ip-rule-6 ip -j -6 rule show
sec proxy-env sh -c '{ for v in http_proxy https_proxy ftp_proxy all_proxy no_proxy HTTP_PROXY HTTPS_PROXY FTP_PROXY ALL_PROXY NO_PROXY; do eval "x=\${$v-}"; [ -z "$x" ] || printf "environment %s=%s\n" "$v" "$x"; done; [ -r /etc/environment ] && grep -iE "^[[:space:]]*(export[[:space:]]+)?[a-z]+_proxy=" /etc/environment | sed -E "s|^[[:space:]]*(export[[:space:]]+)?|/etc/environment |"; command -v apt-config >/dev/null 2>&1 && apt-config dump 2>/dev/null | grep -iE "^Acquire::[a-z]+::Proxy " | sed "s/^/apt /"; true; } | sed -E "s#(://)[^/@[:space:]]*@#\1***@#"'
for s in net.ipv4.ip_forward net.ipv6.conf.all.disable_ipv6 net.ipv6.conf.all.forwarding net.bridge.bridge-nf-call-iptables; do
  sec "sysctl:$s" cat "/proc/sys/$(echo "$s" | tr . /)"
done
priv nft nft -j list ruleset
priv iptables-save iptables-save
priv ip6tables-save ip6tables-save
sec iptables-version iptables -V
for c in lxc incus; do if command -v "$c" >/dev/null 2>&1; then echo "$c"; fi; done >"$d/o"; : >"$d/e"; emit lxd-clients 0
C=
@CHOOSE_CLIENT@
if [ -n "$C" ]; then
  printf '%s' "$C" >"$d/o"; : >"$d/e"; emit lxd-client 0
  sec lxd-server "$C" query /1.0
  sec lxd-networks "$C" query '/1.0/networks?recursion=1'
  sec lxd-instances "$C" query '/1.0/instances?recursion=2'
  sec lxd-network-list "$C" query /1.0/networks
  cp "$d/o" "$d/nets"
  for n in $(tr ',' '\n' <"$d/nets" | sed -n 's|.*"/1\.0/networks/\([A-Za-z0-9_.-]*\)".*|\1|p'); do
    [ -d "/sys/class/net/$n/bridge" ] || continue
    sec "lxd-leases:$n" "$C" query "/1.0/networks/$n/leases"
  done
else
  : >"$d/o"; echo '@NO_CLIENT@' >"$d/e"; emit lxd-client 127
fi
printf '\n%s end\n' "$b"
)SH";

QString excerpt(const QByteArray &data, qsizetype n = 80)
{
    QString text = QString::fromUtf8(data.left(n)).simplified();
    return text.isEmpty() ? QStringLiteral("(nothing)") : text;
}

bool validBoundary(const QByteArray &b)
{
    if (b.size() < 8 || b.size() > 200) {
        return false;
    }
    return std::all_of(b.cbegin(), b.cend(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

std::optional<qint64> nonNegative(const QByteArray &text)
{
    bool ok = false;
    const qint64 n = text.toLongLong(&ok);
    if (!ok || n < 0) {
        return std::nullopt;
    }
    return n;
}

} // namespace

QString discoveryScript(InstanceTransport::Client client)
{
    QString choose;
    QString none;
    switch (client) {
    case InstanceTransport::Client::Auto:
        choose = QStringLiteral("if command -v lxc >/dev/null 2>&1; then C=lxc; elif command -v incus >/dev/null "
                                "2>&1; then C=incus; fi");
        none = QStringLiteral("neither lxc nor incus is on the PATH");
        break;
    case InstanceTransport::Client::Lxc:
    case InstanceTransport::Client::Incus: {
        const QString c = client == InstanceTransport::Client::Lxc ? QStringLiteral("lxc") : QStringLiteral("incus");
        choose = QStringLiteral("if command -v %1 >/dev/null 2>&1; then C=%1; fi").arg(c);
        none = QStringLiteral("%1 is not on the PATH").arg(c);
        break;
    }
    }
    return QString::fromUtf8(kScript)
        .replace(QLatin1String("@CHOOSE_CLIENT@"), choose)
        .replace(QLatin1String("@NO_CLIENT@"), none);
}

Result<DiscoverySections> splitDiscoveryOutput(const QByteArray &out)
{
    const QString what = QStringLiteral("discovery output");
    // A login shell may print something first (a banner, an rc file's echo): the header starts a line.
    qsizetype pos = out.startsWith(kMagic) ? 0 : -1;
    if (pos < 0) {
        const qsizetype at = out.indexOf(QByteArray(QByteArray("\n") + kMagic));
        pos = at < 0 ? -1 : at + 1;
    }
    if (pos < 0) {
        return Error { QStringLiteral("expected a header line \"nestscope-discovery 1 <boundary>\" from the discovery "
                                      "script, found none; the output starts: %1")
                           .arg(excerpt(out)),
            what };
    }
    const qsizetype headerEnd = out.indexOf('\n', pos);
    if (headerEnd < 0) {
        return Error { QStringLiteral("the discovery output ended inside its header line"), what };
    }
    const QList<QByteArray> header = out.mid(pos, headerEnd - pos).split(' ');
    if (header.size() != 3 || header.at(1) != "1" || !validBoundary(header.at(2))) {
        return Error { QStringLiteral("expected the header \"nestscope-discovery 1 <boundary>\" (version 1, a boundary "
                                      "of at least 8 letters, digits or dashes), got \"%1\"")
                           .arg(excerpt(out.mid(pos, headerEnd - pos))),
            what };
    }
    const QByteArray &boundary = header.at(2);
    const QByteArray endLine = boundary + " end";
    DiscoverySections sections;
    bool ended = false;
    qsizetype cursor = headerEnd + 1;
    while (cursor < out.size()) {
        if (out.at(cursor) != '\n') {
            return Error { QStringLiteral("at byte %1: expected a newline before the next section header, got \"%2\"")
                               .arg(cursor)
                               .arg(excerpt(out.mid(cursor, 40))),
                what };
        }
        ++cursor;
        const qsizetype lineEnd = out.indexOf('\n', cursor);
        if (lineEnd < 0) {
            break; // cut inside a header: the sections so far stand
        }
        const QByteArray line = out.mid(cursor, lineEnd - cursor);
        if (line == endLine) {
            ended = true;
            break;
        }
        const QList<QByteArray> f = line.split(' ');
        const bool shape = f.size() == 9 && f.at(0) == boundary && f.at(1) == "section" && f.at(3) == "exit"
            && f.at(5) == "stdout" && f.at(7) == "stderr" && !f.at(2).isEmpty();
        const auto exitCode = shape ? nonNegative(f.at(4)) : std::nullopt;
        const auto outLen = shape ? nonNegative(f.at(6)) : std::nullopt;
        const auto errLen = shape ? nonNegative(f.at(8)) : std::nullopt;
        if (!exitCode || !outLen || !errLen || *exitCode > 255) {
            return Error { QStringLiteral("at byte %1: expected a section header \"<boundary> section NAME exit CODE "
                                          "stdout LENGTH stderr LENGTH\", got \"%2\"")
                               .arg(cursor)
                               .arg(excerpt(line)),
                what };
        }
        cursor = lineEnd + 1;
        DiscoverySection s;
        s.name = QString::fromUtf8(f.at(2));
        s.exitCode = int(*exitCode);
        const qsizetype remaining = out.size() - cursor;
        s.output = out.mid(cursor, qsizetype(std::min<qint64>(*outLen, remaining)));
        cursor += s.output.size();
        if (*outLen > remaining) {
            s.truncated = true;
            sections.insert(s.name, s);
            break;
        }
        const qsizetype remainingErr = out.size() - cursor;
        s.errors = out.mid(cursor, qsizetype(std::min<qint64>(*errLen, remainingErr)));
        cursor += s.errors.size();
        s.truncated = *errLen > remainingErr;
        sections.insert(s.name, s);
    }
    if (!ended && sections.isEmpty()) {
        return Error { QStringLiteral("the discovery output ended right after its header: the script stopped before "
                                      "its first command"),
            what };
    }
    return sections;
}

namespace {

/// Turns the sections into facts, with a warning for each that is missing, failed or unparsable.
class Assembler {
public:
    explicit Assembler(const DiscoverySections &sections)
        : m_sections(sections)
    {
        // The runner's interfaces are the second-largest section (one veth per instance): read
        // them on the pool while this thread reads LXD's instances.
        const auto ip = m_sections.constFind(QStringLiteral("ip-addr"));
        if (ip != m_sections.cend() && ip->exitCode == 0 && !ip->truncated && ip->output.size() > 256 * 1024) {
            m_ipAddr = QtConcurrent::run(topoparse::parseIpAddr, ip->output);
        }
    }

    Topology run();

private:
    /// The section if it ran fine; otherwise a warning that says what is missing and how to get it.
    const DiscoverySection *usable(const QString &name, const QString &command, const QString &package,
        const QString &missing, bool needsRoot = false);
    void warn(const QString &source, const QString &message) { m_topology.warnings << TopoWarning { source, message }; }
    /// usable() for an LXD query: a query the client answered with an error is kept for
    /// reportLxdFailures() instead of becoming a warning of its own. `unknown` names what stays
    /// unknown ("the bridges").
    const DiscoverySection *lxdUsable(
        const QString &name, const QString &command, const QString &package, const QString &unknown);
    /// One warning per way the client failed: each LXD query fails with the same words when the
    /// daemon is down (lxc dials /1.0 first), and three copies of a Go error said nothing more.
    void reportLxdFailures();
    void readRunner();
    void readFirewall();
    void readLxd();

    struct LxdQueryFailure {
        QString section;
        QString command;
        QString unknown;
        const DiscoverySection *result;
    };

    const DiscoverySections &m_sections;
    Topology m_topology;
    QStringList m_lxdClientsFound; ///< the lxd-clients section; empty when not recorded
    QList<LxdQueryFailure> m_lxdFailures;
    QFuture<Result<QList<TopoInterface>>> m_ipAddr; ///< started early when the section is large
};

bool permissionDenied(const QByteArray &stderrText)
{
    const QByteArray lower = stderrText.toLower();
    return lower.contains("permission denied") || lower.contains("operation not permitted")
        || lower.contains("must be root") || lower.contains("not allowed");
}

QString firstLine(const QByteArray &text)
{
    const QString line = QString::fromUtf8(text).trimmed().section(QLatin1Char('\n'), 0, 0).trimmed();
    return line.left(300);
}

const DiscoverySection *Assembler::usable(
    const QString &name, const QString &command, const QString &package, const QString &missing, bool needsRoot)
{
    const auto it = m_sections.constFind(name);
    if (it == m_sections.cend()) {
        warn(name,
            QStringLiteral("`%1` is missing from the discovery output (the script stopped or its output was cut "
                           "short); %2.")
                .arg(command, missing));
        return nullptr;
    }
    const DiscoverySection &s = *it;
    if (s.truncated) {
        warn(name,
            QStringLiteral("the output of `%1` was cut short (the transport's output cap or a lost connection); %2.")
                .arg(command, missing));
        return nullptr;
    }
    if (s.exitCode == 0) {
        return &s;
    }
    if (s.exitCode == 127) {
        warn(name,
            QStringLiteral("`%1` is not installed on the runner (command not found); %2. Install it: "
                           "`apt install %3` (Debian/Ubuntu).")
                .arg(command, missing, package));
    } else if (s.exitCode == 124) {
        warn(name, QStringLiteral("`%1` did not answer within 25 s; %2.").arg(command, missing));
    } else if (needsRoot && permissionDenied(s.errors)) {
        warn(name,
            QStringLiteral("`%1` needs root and the SSH user is not root (\"%2\"); %3. Run as root or give the SSH "
                           "user passwordless sudo for it (discovery tries `sudo -n`).")
                .arg(command, firstLine(s.errors), missing));
    } else {
        warn(name,
            QStringLiteral("`%1` failed with exit code %2 (\"%3\"); %4.")
                .arg(command)
                .arg(s.exitCode)
                .arg(firstLine(s.errors), missing));
    }
    return nullptr;
}

void Assembler::readRunner()
{
    const QString coreutils = QStringLiteral("coreutils");
    if (const auto *s = usable(QStringLiteral("hostname"), QStringLiteral("cat /proc/sys/kernel/hostname"), coreutils,
            QStringLiteral("the runner's hostname is unknown"))) {
        m_topology.hostname = QString::fromUtf8(s->output).trimmed();
    }
    if (const auto *s = usable(QStringLiteral("uname-r"), QStringLiteral("uname -r"), coreutils,
            QStringLiteral("the kernel is unknown"))) {
        m_topology.kernel = QString::fromUtf8(s->output).trimmed();
    }
    if (const auto *s = usable(QStringLiteral("resolv.conf"), QStringLiteral("cat /etc/resolv.conf"), coreutils,
            QStringLiteral("the runner's resolver configuration is unknown"))) {
        m_topology.resolvConf = QString::fromUtf8(s->output);
    }
    if (const auto *s = usable(QStringLiteral("ip-addr"), QStringLiteral("ip -j -d addr"), QStringLiteral("iproute2"),
            QStringLiteral("the runner's interfaces and addresses are unknown"))) {
        auto parsed = m_ipAddr.isValid() ? m_ipAddr.result() : topoparse::parseIpAddr(s->output);
        if (parsed) {
            m_topology.interfaces = std::move(parsed).value();
        } else {
            warn(s->name, parsed.error().toString());
        }
    }
    for (const auto family : { TopoAddress::Family::IPv4, TopoAddress::Family::IPv6 }) {
        const bool v6 = family == TopoAddress::Family::IPv6;
        const QString name = v6 ? QStringLiteral("ip-route-6") : QStringLiteral("ip-route-4");
        if (const auto *s = usable(name, QStringLiteral("ip -j -%1 route show table all").arg(v6 ? 6 : 4),
                QStringLiteral("iproute2"), QStringLiteral("the runner's IPv%1 routes are unknown").arg(v6 ? 6 : 4))) {
            auto parsed = topoparse::parseIpRoutes(s->output, family);
            if (parsed) {
                m_topology.routes << parsed.value();
            } else {
                warn(s->name, parsed.error().toString());
            }
        }
    }
    for (const auto family : { TopoAddress::Family::IPv4, TopoAddress::Family::IPv6 }) {
        const bool v6 = family == TopoAddress::Family::IPv6;
        const QString name = v6 ? QStringLiteral("ip-rule-6") : QStringLiteral("ip-rule-4");
        if (!m_sections.contains(name)) {
            continue; // a recording from before discovery read the rules: they stay unknown
        }
        if (const auto *s
            = usable(name, QStringLiteral("ip -j -%1 rule show").arg(v6 ? 6 : 4), QStringLiteral("iproute2"),
                QStringLiteral("the runner's IPv%1 policy-routing rules are unknown").arg(v6 ? 6 : 4))) {
            auto parsed = topoparse::parseIpRules(s->output, family);
            if (parsed) {
                m_topology.rules << parsed.value();
            } else {
                warn(s->name, parsed.error().toString());
            }
        }
    }
    if (m_sections.contains(QStringLiteral("proxy-env"))) { // older recordings: unknown
        if (const auto *s
            = usable(QStringLiteral("proxy-env"), QStringLiteral("env, /etc/environment, apt-config dump"),
                QStringLiteral("coreutils"), QStringLiteral("the runner's proxy settings are unknown"))) {
            auto parsed = topoparse::parseProxySettings(s->output);
            if (parsed) {
                m_topology.proxies = parsed.value();
                m_topology.proxiesKnown = true;
            } else {
                warn(s->name, parsed.error().toString());
            }
        }
    }
    const QStringList sysctls { QStringLiteral("net.ipv4.ip_forward"), QStringLiteral("net.ipv6.conf.all.disable_ipv6"),
        QStringLiteral("net.ipv6.conf.all.forwarding"), QStringLiteral("net.bridge.bridge-nf-call-iptables") };
    for (const QString &name : sysctls) {
        const QString section = QStringLiteral("sysctl:") + name;
        const auto it = m_sections.constFind(section);
        if (it != m_sections.cend() && it->exitCode != 0 && !it->truncated
            && name == QLatin1String("net.bridge.bridge-nf-call-iptables")) {
            warn(section,
                QStringLiteral("net.bridge.bridge-nf-call-iptables does not exist: the br_netfilter module is not "
                               "loaded, so traffic between instances on one bridge bypasses iptables (usually what "
                               "you want). `modprobe br_netfilter` loads it."));
            continue;
        }
        if (it != m_sections.cend() && it->exitCode != 0 && !it->truncated
            && name.startsWith(QLatin1String("net.ipv6"))) {
            warn(section,
                QStringLiteral("%1 does not exist: IPv6 is disabled in the runner's kernel (ipv6.disable=1 on its "
                               "command line), so no instance can use IPv6 through it.")
                    .arg(name));
            continue;
        }
        const QString path = QStringLiteral("/proc/sys/") + QString(name).replace(QLatin1Char('.'), QLatin1Char('/'));
        if (const auto *s = usable(section, QStringLiteral("cat ") + path, QStringLiteral("procps"),
                QStringLiteral("%1 is unknown").arg(name))) {
            m_topology.sysctls.insert(name, QString::fromUtf8(s->output).trimmed());
        }
    }
}

void Assembler::readFirewall()
{
    TopoFirewall &fw = m_topology.firewall;
    std::optional<topoparse::NftFacts> nft;
    if (const auto *s = usable(QStringLiteral("nft"), QStringLiteral("nft -j list ruleset"), QStringLiteral("nftables"),
            QStringLiteral("the nftables rules (LXD's own tables, forward chains) are unknown"), true)) {
        auto parsed = topoparse::parseNftRuleset(s->output);
        if (parsed) {
            nft = parsed.value();
            fw.rawNftJson = QString::fromUtf8(s->output);
        } else {
            warn(s->name, parsed.error().toString());
        }
    }
    std::optional<topoparse::IptablesFacts> ipt[2];
    for (int i = 0; i < 2; ++i) {
        const auto family = i == 0 ? TopoAddress::Family::IPv4 : TopoAddress::Family::IPv6;
        const QString name = i == 0 ? QStringLiteral("iptables-save") : QStringLiteral("ip6tables-save");
        if (const auto *s = usable(name, name, QStringLiteral("iptables"),
                i == 0 ? QStringLiteral("the IPv4 iptables rules (FORWARD policy, DOCKER-USER, NAT) are unknown")
                       : QStringLiteral("the IPv6 ip6tables rules (FORWARD policy, NAT) are unknown"),
                true)) {
            auto parsed = topoparse::parseIptablesSave(s->output, family);
            if (parsed) {
                ipt[i] = parsed.value();
                fw.rawIptablesSave += QString::fromUtf8(s->output);
            } else {
                warn(s->name, parsed.error().toString());
            }
        }
    }
    QString variant;
    const auto it = m_sections.constFind(QStringLiteral("iptables-version"));
    if (it != m_sections.cend() && it->exitCode == 0 && !it->truncated) {
        auto parsed = topoparse::parseIptablesVariant(it->output);
        if (parsed) {
            variant = parsed.value();
        } else {
            warn(it->name, parsed.error().toString());
        }
    }
    for (const auto &f : ipt) {
        if (variant.isEmpty() && f && !f->variant.isEmpty()) {
            variant = f->variant;
        }
    }

    auto policy = [&](const QString &fromIptables, const QString &fromNft) {
        if (fromIptables == QLatin1String("DROP") || fromNft == QLatin1String("DROP")) {
            return QStringLiteral("DROP");
        }
        return fromIptables.isEmpty() && fromNft.isEmpty() ? QString() : QStringLiteral("ACCEPT");
    };
    fw.forwardPolicyV4 = policy(ipt[0] ? ipt[0]->forwardPolicy : QString(), nft ? nft->forwardPolicyV4 : QString());
    fw.forwardPolicyV6 = policy(ipt[1] ? ipt[1]->forwardPolicy : QString(), nft ? nft->forwardPolicyV6 : QString());
    fw.hasDockerUserChain = (nft && nft->hasDockerUserChain) || (ipt[0] && ipt[0]->hasDockerUserChain)
        || (ipt[1] && ipt[1]->hasDockerUserChain);
    if (nft) {
        fw.lxdTables = nft->lxdTables;
        fw.masqueradeRules << nft->masqueradeRules;
    }
    for (int i = 0; i < 2; ++i) {
        if (ipt[i]) {
            fw.masqueradeRules << ipt[i]->masqueradeRules;
            (i == 0 ? fw.forwardAcceptedV4 : fw.forwardAcceptedV6) = ipt[i]->forwardAcceptedInterfaces;
        }
    }
    // The backend that holds the rules: iptables' own tables when there are any (through nf_tables
    // or the legacy kernel tables), else nftables when it has tables or LXD drives it.
    const bool iptablesRules = (ipt[0] && !ipt[0]->tables.isEmpty()) || (ipt[1] && !ipt[1]->tables.isEmpty());
    if (iptablesRules && variant == QLatin1String("legacy")) {
        fw.backend = QStringLiteral("iptables-legacy");
    } else if (iptablesRules) {
        fw.backend = QStringLiteral("iptables-nft");
    } else if ((nft && !nft->tables.isEmpty()) || m_topology.lxdFirewallDriver == QLatin1String("nftables")) {
        fw.backend = QStringLiteral("nftables");
    } else if (variant == QLatin1String("legacy")) {
        fw.backend = QStringLiteral("iptables-legacy");
    } else if (variant == QLatin1String("nf_tables")) {
        fw.backend = QStringLiteral("iptables-nft");
    }
}

const DiscoverySection *Assembler::lxdUsable(
    const QString &name, const QString &command, const QString &package, const QString &unknown)
{
    const auto it = m_sections.constFind(name);
    if (it != m_sections.cend() && !it->truncated && it->exitCode != 0 && it->exitCode != 124) {
        m_lxdFailures << LxdQueryFailure { name, command, unknown, &*it };
        return nullptr;
    }
    return usable(name, command, package, unknown + QStringLiteral(" are unknown"));
}

namespace {

QString sentence(const QString &clause)
{
    if (clause.isEmpty()) {
        return clause;
    }
    QString s = clause.at(0).toUpper() + clause.mid(1);
    if (!s.endsWith(QLatin1Char('.')) && !s.endsWith(QLatin1Char('?'))) {
        s += QLatin1Char('.');
    }
    return s;
}

QString joinAnd(const QStringList &items)
{
    if (items.size() <= 1) {
        return items.join(QString());
    }
    return items.mid(0, items.size() - 1).join(QStringLiteral(", ")) + QStringLiteral(" and ") + items.constLast();
}

} // namespace

void Assembler::reportLxdFailures()
{
    // Grouped by what the failure means and the client's words, the URL it asked for aside.
    static const QRegularExpression url(QStringLiteral("\"https?://unix\\.socket[^\"]*\""));
    QList<std::pair<QString, QList<LxdQueryFailure>>> groups;
    QHash<QString, LxdError> meaning;
    for (const LxdQueryFailure &f : std::as_const(m_lxdFailures)) {
        const LxdError e = classifyLxdError(
            QString::fromUtf8(f.result->output + f.result->errors), m_topology.lxdClient, m_lxdClientsFound);
        const QString key = QString::number(int(e.kind)) + QLatin1Char('\n') + QString(e.errorLine).remove(url);
        auto group = std::find_if(groups.begin(), groups.end(), [&](const auto &g) {
            return g.first == key;
        });
        if (group == groups.end()) {
            groups.append({ key, {} });
            group = groups.end() - 1;
            meaning.insert(key, e);
        }
        group->second << f;
    }
    for (const auto &[key, failures] : std::as_const(groups)) {
        const LxdError &e = meaning.value(key);
        QStringList sections;
        QStringList unknown;
        QStringList details;
        for (const LxdQueryFailure &f : failures) {
            sections << f.section;
            unknown << f.unknown;
            const QString said = QString::fromUtf8(f.result->output + f.result->errors).trimmed();
            details << QStringLiteral("$ %1   (exit code %2)\n%3")
                           .arg(f.command)
                           .arg(f.result->exitCode)
                           .arg(said.isEmpty() ? QStringLiteral("(it printed nothing)") : said.left(4000));
        }
        m_topology.warnings << TopoWarning { sections.join(QStringLiteral(", ")),
            sentence(QStringLiteral("%1, so %2 are unknown").arg(e.problem, joinAnd(unknown))) + QLatin1Char(' ')
                + sentence(e.advice),
            details.join(QStringLiteral("\n\n")) };
    }
    m_lxdFailures.clear();
}

void Assembler::readLxd()
{
    const auto found = m_sections.constFind(QStringLiteral("lxd-clients"));
    if (found != m_sections.cend() && found->exitCode == 0 && !found->truncated) {
        m_lxdClientsFound = QString::fromUtf8(found->output).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    }
    const auto client = m_sections.constFind(QStringLiteral("lxd-client"));
    if (client == m_sections.cend()) {
        warn(QStringLiteral("lxd-client"),
            QStringLiteral("the LXD part of the discovery output is missing (the script stopped or its output was "
                           "cut short); bridges and instances are unknown."));
        return;
    }
    if (client->exitCode != 0) {
        // The script names the client it looked for ("lxc is not on the PATH") when one was chosen.
        const QString said = QString::fromUtf8(client->errors).trimmed();
        const QString wanted = said.section(QLatin1Char(' '), 0, 0);
        const bool chosen = wanted == QLatin1String("lxc") || wanted == QLatin1String("incus");
        const LxdError e
            = classifyLxdError(said.isEmpty() ? QStringLiteral("neither lxc nor incus is on the PATH") : said,
                chosen ? wanted : QString(), m_lxdClientsFound);
        warn(QStringLiteral("lxd-client"),
            sentence(e.problem + QStringLiteral(", so the bridges and instances are unknown")) + QLatin1Char(' ')
                + sentence(e.advice));
        return;
    }
    m_topology.lxdClient = QString::fromUtf8(client->output).trimmed();
    const QString c = m_topology.lxdClient;
    const QString package = c == QLatin1String("incus") ? QStringLiteral("incus-client") : QStringLiteral("lxd-client");
    if (const auto *s = lxdUsable(QStringLiteral("lxd-server"), c + QStringLiteral(" query /1.0"), package,
            QStringLiteral("the server version and firewall driver"))) {
        auto parsed = topoparse::parseLxdServer(s->output);
        if (parsed) {
            m_topology.lxdServerVersion = parsed->version;
            m_topology.lxdFirewallDriver = parsed->firewallDriver;
        } else {
            warn(s->name, parsed.error().toString());
        }
    }
    if (const auto *s = lxdUsable(QStringLiteral("lxd-networks"),
            c + QStringLiteral(" query /1.0/networks?recursion=1"), package, QStringLiteral("the bridges"))) {
        auto parsed = topoparse::parseLxdNetworks(s->output);
        if (parsed) {
            m_topology.networks = std::move(parsed).value();
            std::sort(
                m_topology.networks.begin(), m_topology.networks.end(), [](const TopoNetwork &a, const TopoNetwork &b) {
                    return a.name < b.name;
                });
        } else {
            warn(s->name, parsed.error().toString());
        }
    }
    if (const auto *s
        = lxdUsable(QStringLiteral("lxd-instances"), c + QStringLiteral(" query /1.0/instances?recursion=2"), package,
            QStringLiteral("the instances and their addresses"))) {
        auto parsed = topoparse::parseLxdInstances(s->output);
        if (parsed) {
            m_topology.instances = std::move(parsed).value();
            std::sort(m_topology.instances.begin(), m_topology.instances.end(),
                [](const TopoInstance &a, const TopoInstance &b) {
                    return a.name < b.name;
                });
        } else {
            warn(s->name, parsed.error().toString());
        }
    }
    const QString leasesPrefix = QStringLiteral("lxd-leases:");
    for (auto it = m_sections.cbegin(); it != m_sections.cend(); ++it) {
        if (!it.key().startsWith(leasesPrefix)) {
            continue;
        }
        const QString network = it.key().mid(leasesPrefix.size());
        const TopoNetwork *n = m_topology.network(network);
        // Leases exist only for managed bridges; the script also asks for unmanaged ones (docker0).
        if (n && !n->managed) {
            continue;
        }
        if (const auto *s = lxdUsable(it.key(), c + QStringLiteral(" query /1.0/networks/%1/leases").arg(network),
                package, QStringLiteral("the DHCP leases on %1").arg(network))) {
            auto parsed = topoparse::parseLxdLeases(s->output, network);
            if (parsed) {
                m_topology.leases << parsed.value();
            } else {
                warn(s->name, parsed.error().toString());
            }
        }
    }
    std::stable_sort(m_topology.leases.begin(), m_topology.leases.end(), [](const TopoLease &a, const TopoLease &b) {
        return std::tie(a.network, a.hostname, a.address) < std::tie(b.network, b.hostname, b.address);
    });
    reportLxdFailures();
}

Topology Assembler::run()
{
    // LXD first (its instances are the bulk of the work, while ip-addr is read on the pool), but
    // its warnings after the runner's, in the order the sections were always reported in.
    readLxd();
    const QList<TopoWarning> lxdWarnings = std::exchange(m_topology.warnings, {});
    readRunner();
    m_topology.warnings << lxdWarnings;
    readFirewall(); // after LXD: its firewall driver helps name the backend
    return m_topology;
}

} // namespace

Topology topologyFromSections(const DiscoverySections &sections)
{
    return Assembler(sections).run();
}

// ---- TopologyDiscovery ----------------------------------------------------------------------

TopologyDiscovery::TopologyDiscovery(Transport *transport, QObject *parent)
    : QObject(parent)
    , m_transport(transport)
{
}

TopologyDiscovery::~TopologyDiscovery()
{
    if (m_job) {
        disconnect(m_job, nullptr, this, nullptr);
        m_job->cancel();
    }
    // A parse still running on the pool finishes there and its result is dropped: it owns its
    // input, and the watcher (a child) goes with this object without waiting for it.
    if (m_parse) {
        disconnect(m_parse, nullptr, this, nullptr);
    }
}

bool TopologyDiscovery::isRunning() const
{
    return m_waiting;
}

void TopologyDiscovery::start()
{
    if (m_waiting) {
        return;
    }
    m_waiting = true;
    if (!m_transport) {
        // Asynchronous like every other outcome, so a caller can connect after start().
        QMetaObject::invokeMethod(
            this,
            [this] {
                CommandResult r;
                r.outcome = CommandOutcome::FailedToStart;
                r.errorString = QStringLiteral("no transport to run discovery on");
                onJobFinished(r);
            },
            Qt::QueuedConnection);
        return;
    }
    CommandRequest request;
    request.command = discoveryScript(m_client);
    request.timeout = std::chrono::seconds(60);
    request.outputCap = qsizetype(64) * 1024 * 1024;
    qCDebug(lcDiscovery) << "discovering over" << m_transport->description();
    m_job = m_transport->start(request);
    if (!m_job) {
        m_waiting = false;
        Q_EMIT finished(Error {
            QStringLiteral("%1 could not start the discovery script").arg(m_transport->description()), QString() });
        return;
    }
    connect(m_job, &CommandJob::finished, this, &TopologyDiscovery::onJobFinished);
    // A job destroyed without finishing (its transport went away) must still end the discovery.
    connect(m_job, &QObject::destroyed, this, [this] {
        if (m_waiting) {
            CommandResult r;
            r.outcome = CommandOutcome::ConnectionLost;
            r.errorString = QStringLiteral("the transport went away");
            onJobFinished(r);
        }
    });
}

void TopologyDiscovery::cancel()
{
    if (m_job) {
        m_job->cancel();
        return;
    }
    if (m_parse && m_waiting) {
        // The script has finished and its output is being parsed: the parse cannot be interrupted,
        // so its result is dropped. Queued, like the job's own cancellation, never from inside cancel().
        disconnect(m_parse, nullptr, this, nullptr);
        m_parse->deleteLater();
        m_parse = nullptr;
        const QString where = m_transport ? m_transport->description() : QStringLiteral("no transport");
        QMetaObject::invokeMethod(
            this,
            [this, where] {
                finish(Error { QStringLiteral("discovery on %1 was cancelled").arg(where), QString() });
            },
            Qt::QueuedConnection);
    }
}

void TopologyDiscovery::finish(const Result<Topology> &result)
{
    if (!m_waiting) {
        return;
    }
    m_waiting = false;
    Q_EMIT finished(result);
}

void TopologyDiscovery::onJobFinished(const CommandResult &result)
{
    if (!m_waiting || m_parse) {
        return;
    }
    if (m_job) {
        // Its later destruction is no news once it has finished.
        disconnect(m_job, nullptr, this, nullptr);
    }
    m_job = nullptr;
    const QString where = m_transport ? m_transport->description() : QStringLiteral("no transport");
    if (result.outcome != CommandOutcome::Exited) {
        QString message;
        switch (result.outcome) {
        case CommandOutcome::Cancelled:
            message = QStringLiteral("discovery on %1 was cancelled").arg(where);
            break;
        case CommandOutcome::Timeout:
            message = QStringLiteral("discovery on %1 did not finish within 60 s").arg(where);
            break;
        default:
            message = QStringLiteral("discovery on %1 could not run: %2 (%3)")
                          .arg(where, toText(result.outcome), result.errorString);
            break;
        }
        finish(Error { message, QString() });
        return;
    }
    auto sections = splitDiscoveryOutput(result.stdOut);
    if (!sections) {
        QString message = QStringLiteral("discovery on %1 (exit code %2): %3")
                              .arg(where)
                              .arg(result.exitCode)
                              .arg(sections.error().toString());
        if (!result.stdErr.isEmpty()) {
            message += QStringLiteral("; stderr: ") + excerpt(result.stdErr, 300);
        }
        finish(Error { message, QString() });
        return;
    }
    // Off this thread: at thousands of instances the parse takes long enough to freeze a view.
    // The worker gets everything it needs by value; nothing of this object crosses over.
    const bool truncated = result.stdOutTruncated;
    m_parse = new QFutureWatcher<Topology>(this);
    connect(m_parse, &QFutureWatcherBase::finished, this, &TopologyDiscovery::onParsed);
    m_parse->setFuture(QtConcurrent::run([sections = std::move(sections).value(), where, truncated]() {
        Topology topology = topologyFromSections(sections);
        topology.transport = where;
        topology.discoveredAt = QDateTime::currentDateTimeUtc();
        if (truncated) {
            topology.warnings << TopoWarning { QStringLiteral("transport"),
                QStringLiteral("the discovery output was longer than 64 MiB and was cut; the facts after the cut are "
                               "missing") };
        }
        return topology;
    }));
}

void TopologyDiscovery::onParsed()
{
    QFutureWatcher<Topology> *watcher = m_parse;
    m_parse = nullptr;
    if (!watcher) {
        return;
    }
    watcher->deleteLater();
    const Topology topology = watcher->result();
    qCDebug(lcDiscovery) << "discovered" << topology.interfaces.size() << "interfaces," << topology.instances.size()
                         << "instances," << topology.warnings.size() << "warnings";
    finish(topology);
}

} // namespace nestscope
