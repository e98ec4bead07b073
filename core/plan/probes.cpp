#include "probes.h"

#include "common/shellquote.h"

#include <QHostAddress>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

namespace nestscope {

namespace {

// curl's -w report: one line that cannot be confused with a page body, since the body goes to /dev/null.
constexpr auto kCurlMarker = "nestscope-http";
// A guard that does not hold prints this and exits 0: one round trip decides and reports.
constexpr auto kSkipMarker = "nestscope-skip: ";
constexpr int kMissingToolExit = 69;

// The target's own words about a missing tool, wherever they are among other stderr lines.
QString missingToolMessage(const CommandResult &result)
{
    if (result.exitCode != kMissingToolExit) {
        return {};
    }
    for (const QByteArray &line : result.stdErr.split('\n')) {
        if (line.startsWith("nestscope: ")) {
            return QString::fromUtf8(line).trimmed();
        }
    }
    return {};
}

QString seconds(const Probe &probe, int reserveMs = 250)
{
    // Leave the tool a little less time than the transport so it reports its own timeout.
    return QString::number(std::max<qint64>(1, (probe.timeout.count() - reserveMs) / 1000));
}

QString familyFlag(Family family)
{
    switch (family) {
    case Family::IPv4:
        return QStringLiteral(" -4");
    case Family::IPv6:
        return QStringLiteral(" -6");
    case Family::Any:
        break;
    }
    return {};
}

QString missingTool(const QString &what)
{
    // 69 (EX_UNAVAILABLE), not 127: `lxc exec` turns an exit status of 127 into its own
    // "Error: Command not found", which would hide which tool is missing.
    return QStringLiteral("echo %1 >&2; exit %2")
        .arg(shellQuote(QStringLiteral("nestscope: ") + what))
        .arg(kMissingToolExit);
}

QString compileHttp(const Probe &probe)
{
    const QString url = shellQuote(probe.url.toString(QUrl::FullyEncoded));
    const QString maxTime = seconds(probe);
    const QString fam = familyFlag(probe.family);
    const QString curl
        = QStringLiteral("curl -sS%4 -o /dev/null --max-time %1 -w '%2 code=%{http_code} dns=%{time_namelookup} "
                         "connect=%{time_connect} tls=%{time_appconnect} ttfb=%{time_starttransfer} "
                         "total=%{time_total} size=%{size_download} speed=%{speed_download}\\n' -- %3")
              .arg(maxTime, QLatin1String(kCurlMarker), url, fam);
    // wget cannot report what it received on /dev/null: a bulk transfer goes to a file it counts.
    const QString wget = probe.minBytes > 0
        ? QStringLiteral("f=$(mktemp) || exit 70; wget%3 -S -O \"$f\" -T %1 -t 1 -- %2; rc=$?; "
                         "echo \"nestscope-http-bytes=$(wc -c <\"$f\")\"; rm -f \"$f\"; exit $rc")
              .arg(maxTime, url, fam)
        : QStringLiteral("wget%3 -S -O /dev/null -T %1 -t 1 -- %2").arg(maxTime, url, fam);
    return QStringLiteral("if command -v curl >/dev/null 2>&1; then %1; elif command -v wget >/dev/null 2>&1; then %2; "
                          "else %3; fi")
        .arg(curl, wget, missingTool(QStringLiteral("neither curl nor wget is installed on this target")));
}

QString compileFact(const Probe &probe)
{
    const QString needIp = QStringLiteral("command -v ip >/dev/null 2>&1 || { %1; }; ")
                               .arg(missingTool(QStringLiteral("ip (iproute2) is not installed on this target")));
    switch (probe.fact) {
    case FactKind::Ipv4Address:
        return needIp + QStringLiteral("ip -4 -o addr show scope global");
    case FactKind::Ipv6Address:
        // A tentative address (duplicate detection still running) or a failed one cannot be used yet.
        return needIp + QStringLiteral("ip -6 -o addr show scope global -tentative -dadfailed");
    case FactKind::Ipv4DefaultRoute:
        return needIp + QStringLiteral("ip -4 route show default");
    case FactKind::Ipv6DefaultRoute:
        return needIp + QStringLiteral("ip -6 route show default");
    case FactKind::Ipv6Enabled:
        return QStringLiteral("cat /proc/sys/net/ipv6/conf/all/disable_ipv6");
    case FactKind::Resolver:
        return QStringLiteral("cat /etc/resolv.conf");
    }
    return {};
}

QString compileDns(const Probe &probe)
{
    const QString name = shellQuote(probe.host);
    const bool v6 = probe.family == Family::IPv6;
    const QString type = v6 ? QStringLiteral("AAAA") : QStringLiteral("A");
    // dig tells "no such name" from "no server answered"; getent is everywhere. Time getent
    // inside the target, so a slow transport (lxc exec) does not count as a slow resolver.
    return QStringLiteral(
        "if command -v dig >/dev/null 2>&1; then dig +time=2 +tries=2 %1 %2; "
        "elif command -v getent >/dev/null 2>&1; then t0=$(date +%s%N); getent %3 %1; rc=$?; t1=$(date +%s%N); "
        "case \"$t0$t1\" in *[!0-9]*) ;; *) echo \"nestscope-dns-us=$(( (t1 - t0) / 1000 ))\" >&2 ;; esac; exit $rc; "
        "else %4; fi")
        .arg(name, type, v6 ? QStringLiteral("ahostsv6") : QStringLiteral("ahostsv4"),
            missingTool(QStringLiteral("no resolver tool (dig or getent) on this target")));
}

QString urlHost(const QString &host)
{
    return host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host;
}

QString compileTcp(const Probe &probe)
{
    // Every path leaves as soon as the connection is made or refused, so a pass never waits out
    // the probe's timeout: bash's /dev/tcp opens and closes at once; `nc -z` (OpenBSD, traditional,
    // ncat) only connects; busybox's nc (no -z) runs `true` on the connected socket and exits with
    // it. The connect is timed inside the target. A name is resolved first when a family is asked
    // for, since these tools take whichever family the resolver returns. curl's telnet:// is the
    // last resort, for a target with neither bash nor nc: it cannot leave after connecting, so a
    // connect that then waits until --max-time still counts (time_connect > 0).
    const QString host = shellQuote(probe.host);
    const QString port = QString::number(probe.port);
    const QString wait = seconds(probe);
    QString resolve;
    if (probe.family != Family::Any && QHostAddress(probe.host).isNull()) {
        const bool v6 = probe.family == Family::IPv6;
        resolve = QStringLiteral("a=$(getent %2 %1 | grep -v '^::ffff:' | head -n 1 | cut -d' ' -f1); "
                                 "[ -n \"$a\" ] || { echo 'no %3 address for '%1 >&2; exit 2; }; ")
                      .arg(host, v6 ? QStringLiteral("ahostsv6") : QStringLiteral("ahostsv4"),
                          v6 ? QStringLiteral("IPv6") : QStringLiteral("IPv4"));
    } else {
        resolve = QStringLiteral("a=%1; ").arg(host);
    }
    const QString curlTarget = QStringLiteral("telnet://%1:%2").arg(urlHost(probe.host)).arg(probe.port);
    return QStringLiteral(
        "t=; if command -v bash >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1; then t=bash; "
        "elif command -v nc >/dev/null 2>&1; then case $(nc -h 2>&1 </dev/null) in "
        "*-z*) t=nc-z ;; *'-e PROG'*) t=nc-e ;; esac; fi; "
        "if [ -z \"$t\" ]; then if command -v curl >/dev/null 2>&1; then "
        "curl -sS%4 -o /dev/null --connect-timeout %2 --max-time %2 -w 'nestscope-tcp connect=%{time_connect}\\n' %5 "
        "</dev/null; else %6; fi; else %1"
        "t0=$(date +%s%N); case $t in "
        "bash) timeout %2 bash -c 'exec 3<>\"/dev/tcp/$0/$1\"' \"$a\" %3 ;; "
        "nc-z) nc -v -z -w %2 \"$a\" %3 </dev/null ;; "
        "*) nc -w %2 \"$a\" %3 -e true </dev/null ;; esac; rc=$?; t1=$(date +%s%N); "
        "case \"$t0$t1\" in *[!0-9]*) ;; *) echo \"nestscope-tcp-us=$(( (t1 - t0) / 1000 ))\";; esac; exit $rc; fi")
        .arg(resolve, wait, port, familyFlag(probe.family), shellQuote(curlTarget),
            missingTool(QStringLiteral("none of bash, nc or curl is installed on this target")));
}

QString compileIcmp(const Probe &probe)
{
    // -w bounds the whole run; -W each reply. Both stay inside the probe's timeout.
    const qint64 deadline = std::max<qint64>(1, (probe.timeout.count() - 500) / 1000);
    return QStringLiteral("command -v ping >/dev/null 2>&1 || { %5; }; ping%1 -n -c %2 -i 0.2 -W 1 -w %3 %4")
        .arg(familyFlag(probe.family), QString::number(probe.count), QString::number(deadline), shellQuote(probe.host),
            missingTool(QStringLiteral("ping is not installed on this target")));
}

QString compileMtu(const Probe &probe)
{
    // Binary search for the largest packet that passes with don't-fragment set; the header
    // overhead is 28 bytes for IPv4 (IP + ICMP) and 48 for IPv6.
    const int overhead = probe.family == Family::IPv6 ? 48 : 28;
    const QString fam = probe.family == Family::IPv6 ? QStringLiteral(" -6") : QStringLiteral(" -4");
    return QStringLiteral(
        "command -v ping >/dev/null 2>&1 || { %5; }; h=%1; "
        "p() { ping%2 -n -M do -c 1 -W 1 -s $(($1 - %3)) \"$h\" >/dev/null 2>&1; }; "
        "if p %4; then echo nestscope-mtu=%4; exit 0; fi; "
        "if ! p 576; then echo 'nestscope-mtu=0'; echo 'no reply even to 576-byte packets' >&2; exit 1; fi; "
        "lo=576; hi=%4; while [ $((hi - lo)) -gt 1 ]; do m=$(((lo + hi) / 2)); if p $m; then lo=$m; else hi=$m; fi; "
        "done; "
        "echo nestscope-mtu=$lo")
        .arg(shellQuote(probe.host), fam, QString::number(overhead), QString::number(probe.mtu),
            missingTool(QStringLiteral("ping is not installed on this target")));
}

QString compilePackage(const Probe &)
{
    // Refreshing indexes needs root: use passwordless sudo where the user has it, and say so
    // plainly where neither is available instead of reporting apt's lock-file error as a failure.
    return QStringLiteral("s=; if [ \"$(id -u)\" -ne 0 ]; then if command -v sudo >/dev/null 2>&1 && sudo -n true "
                          "2>/dev/null; then s='sudo -n'; "
                          "else %1; fi; fi; "
                          "if command -v apt-get >/dev/null 2>&1; then $s apt-get -q update; "
                          "elif command -v dnf >/dev/null 2>&1; then $s dnf -q makecache; "
                          "elif command -v yum >/dev/null 2>&1; then $s yum -q makecache; "
                          "elif command -v apk >/dev/null 2>&1; then $s apk update; "
                          "elif command -v zypper >/dev/null 2>&1; then $s zypper -q refresh; "
                          "else %2; fi")
        .arg(missingTool(QStringLiteral(
                 "refreshing package indexes needs root; this user is not root and has no passwordless sudo")),
            missingTool(QStringLiteral("no package manager (apt-get, dnf, yum, apk, zypper) on this target")));
}

QString compileDocker(const Probe &probe)
{
    if (probe.image.isEmpty()) {
        return QStringLiteral("docker info --format '{{.ServerVersion}}'");
    }
    // A pull only means something where a daemon answers; a CLI without one is "no Docker here".
    return QStringLiteral("if ! docker info >/dev/null 2>&1; then echo %1; exit 0; fi; docker pull %2")
        .arg(shellQuote(QLatin1String(kSkipMarker) + QStringLiteral("no Docker daemon answers here")),
            shellQuote(probe.image));
}

QString guardPrefix(const Probe &probe)
{
    // Docker probes only make sense where Docker is; elsewhere they are skipped, not failed.
    QString tool = probe.when.tool;
    if (tool.isEmpty() && probe.kind == ProbeKind::Docker) {
        tool = QStringLiteral("docker");
    }
    if (tool.isEmpty()) {
        return {};
    }
    return QStringLiteral("if ! command -v %1 >/dev/null 2>&1; then echo %2; exit 0; fi; ")
        .arg(shellQuote(tool), shellQuote(QLatin1String(kSkipMarker) + tool + QStringLiteral(" is not installed")));
}

bool statusExpected(const Probe &probe, int code)
{
    if (probe.expectStatus.isEmpty()) {
        return code >= 200 && code < 400;
    }
    return probe.expectStatus.contains(code);
}

QString expectedStatusText(const Probe &probe)
{
    if (probe.expectStatus.isEmpty()) {
        return QStringLiteral("2xx or 3xx");
    }
    QStringList parts;
    for (int c : probe.expectStatus) {
        parts << QString::number(c);
    }
    return parts.join(QStringLiteral(" or "));
}

QString lastLine(const QByteArray &text)
{
    const QString s = QString::fromUtf8(text).trimmed();
    return s.section(QLatin1Char('\n'), -1).trimmed().left(300);
}

void evaluateHttp(const Probe &probe, const CommandResult &result, Sample &s)
{
    if (!missingToolMessage(result).isEmpty()) {
        s.status = SampleStatus::Error;
        s.message = lastLine(result.stdErr);
        return;
    }
    static const QRegularExpression curlLine(QStringLiteral(
        "nestscope-http code=(\\d{3}) dns=([\\d.]+) connect=([\\d.]+) tls=([\\d.]+) ttfb=([\\d.]+) total=([\\d.]+)"));
    static const QRegularExpression curlSize(QStringLiteral(" size=(\\d+) speed=([\\d.]+)"));
    const auto m = curlLine.match(QString::fromUtf8(result.stdOut));
    if (m.hasMatch()) {
        qint64 bytes = -1;
        if (const auto sz = curlSize.match(QString::fromUtf8(result.stdOut), m.capturedEnd()); sz.hasMatch()) {
            bytes = sz.captured(1).toLongLong();
            if (probe.minBytes > 0) {
                s.phasesMs.insert(QStringLiteral("download_bytes"), double(bytes));
                s.phasesMs.insert(QStringLiteral("throughput_bytes_per_s"), sz.captured(2).toDouble());
            }
        }
        const bool shortBody = probe.minBytes > 0 && bytes >= 0 && bytes < probe.minBytes;
        const int code = m.captured(1).toInt();
        const double dns = m.captured(2).toDouble() * 1000;
        const double connect = m.captured(3).toDouble() * 1000;
        const double tls = m.captured(4).toDouble() * 1000;
        const double ttfb = m.captured(5).toDouble() * 1000;
        const double total = m.captured(6).toDouble() * 1000;
        // curl reports points in time from the start; the phases are the steps between them.
        s.phasesMs.insert(QStringLiteral("dns"), dns);
        s.phasesMs.insert(QStringLiteral("connect"), std::max(0.0, connect - dns));
        s.phasesMs.insert(QStringLiteral("tls"), tls > 0 ? std::max(0.0, tls - connect) : 0.0);
        s.phasesMs.insert(QStringLiteral("first_byte"), ttfb > 0 ? std::max(0.0, ttfb - std::max(tls, connect)) : 0.0);
        s.phasesMs.insert(QStringLiteral("total"), total);
        if (total > 0) {
            s.latencyMs = total;
        }
        if (result.exitCode == 28 && probe.minBytes > 0 && code != 0) {
            // Connected and answered, then the body stopped coming: small requests pass, bulk
            // transfers stall (a path-MTU black hole looks like this).
            s.status = SampleStatus::Timeout;
            s.message = QStringLiteral("HTTP %1, then the transfer stalled: %2 of %3 bytes in %4 s")
                            .arg(code)
                            .arg(std::max<qint64>(0, bytes))
                            .arg(probe.minBytes)
                            .arg(probe.timeout.count() / 1000);
        } else if (result.exitCode == 28) {
            s.status = SampleStatus::Timeout;
            s.message = QStringLiteral("curl gave up after %1 s: %2")
                            .arg(probe.timeout.count() / 1000)
                            .arg(lastLine(result.stdErr));
        } else if (code == 0) {
            s.status = SampleStatus::Fail;
            s.message = QStringLiteral("no HTTP response (curl exit %1): %2")
                            .arg(result.exitCode)
                            .arg(lastLine(result.stdErr));
        } else if (result.exitCode != 0) {
            // The status line came, but the transfer broke afterwards (a path MTU black hole looks like this).
            s.status = SampleStatus::Fail;
            s.message = QStringLiteral("HTTP %1, then curl exit %2: %3")
                            .arg(code)
                            .arg(result.exitCode)
                            .arg(lastLine(result.stdErr));
        } else if (!statusExpected(probe, code)) {
            s.status = SampleStatus::Fail;
            s.message = QStringLiteral("HTTP %1, expected %2").arg(code).arg(expectedStatusText(probe));
        } else if (shortBody) {
            s.status = SampleStatus::Fail;
            s.message
                = QStringLiteral("HTTP %1, but only %2 of %3 bytes arrived").arg(code).arg(bytes).arg(probe.minBytes);
        } else {
            s.status = SampleStatus::Pass;
        }
        return;
    }
    // wget -S prints the response headers on stderr; the last status line is the final answer.
    static const QRegularExpression wgetStatus(QStringLiteral("HTTP/[\\d.]+ (\\d{3})"));
    int code = 0;
    auto it = wgetStatus.globalMatch(QString::fromUtf8(result.stdErr));
    while (it.hasNext()) {
        code = it.next().captured(1).toInt();
    }
    if (code == 0) {
        s.status
            = result.exitCode == 4 && result.stdErr.contains("timed out") ? SampleStatus::Timeout : SampleStatus::Fail;
        s.message = QStringLiteral("no HTTP response (exit %1): %2").arg(result.exitCode).arg(lastLine(result.stdErr));
        if (s.message.endsWith(QLatin1String(": "))) {
            s.message.chop(2);
        }
    } else if (!statusExpected(probe, code)) {
        s.status = SampleStatus::Fail;
        s.message = QStringLiteral("HTTP %1, expected %2").arg(code).arg(expectedStatusText(probe));
    } else {
        s.status = SampleStatus::Pass;
    }
    static const QRegularExpression wgetBytes(QStringLiteral("nestscope-http-bytes=\\s*(\\d+)"));
    if (const auto b = wgetBytes.match(QString::fromUtf8(result.stdOut)); probe.minBytes > 0 && b.hasMatch()) {
        const qint64 bytes = b.captured(1).toLongLong();
        s.phasesMs.insert(QStringLiteral("download_bytes"), double(bytes));
        if (s.latencyMs > 0) {
            s.phasesMs.insert(QStringLiteral("throughput_bytes_per_s"), double(bytes) * 1000.0 / s.latencyMs);
        }
        if (s.status == SampleStatus::Pass && bytes < probe.minBytes) {
            s.status = SampleStatus::Fail;
            s.message
                = QStringLiteral("HTTP %1, but only %2 of %3 bytes arrived").arg(code).arg(bytes).arg(probe.minBytes);
        }
    }
    s.phasesMs.insert(QStringLiteral("total"), s.latencyMs);
}

QString outputLine(const QByteArray &text, const QRegularExpression &re)
{
    const auto m = re.match(QString::fromUtf8(text));
    return m.hasMatch() ? m.captured(0).trimmed() : QString();
}

void evaluateFact(const Probe &probe, const CommandResult &result, Sample &s)
{
    const QString out = QString::fromUtf8(result.stdOut);
    auto verdict = [&s](bool ok, const QString &failMessage) {
        s.status = ok ? SampleStatus::Pass : SampleStatus::Fail;
        if (!ok) {
            s.message = failMessage;
        }
    };
    if (result.exitCode != 0 && probe.fact != FactKind::Ipv6Enabled) {
        s.status = SampleStatus::Error;
        s.message = QStringLiteral("exit code %1: %2").arg(result.exitCode).arg(lastLine(result.stdErr));
        return;
    }
    static const QRegularExpression inet(QStringLiteral("\\binet (\\S+)"));
    static const QRegularExpression inet6(QStringLiteral("\\binet6 (\\S+)"));
    static const QRegularExpression defaultRoute(QStringLiteral("^default "), QRegularExpression::MultilineOption);
    static const QRegularExpression nameserver(
        QStringLiteral("^\\s*nameserver\\s+(\\S+)"), QRegularExpression::MultilineOption);
    switch (probe.fact) {
    case FactKind::Ipv4Address:
        verdict(inet.match(out).hasMatch(), QStringLiteral("no global IPv4 address"));
        break;
    case FactKind::Ipv6Address:
        verdict(inet6.match(out).hasMatch(), QStringLiteral("no global IPv6 address"));
        break;
    case FactKind::Ipv4DefaultRoute:
        verdict(defaultRoute.match(out).hasMatch(), QStringLiteral("no IPv4 default route"));
        break;
    case FactKind::Ipv6DefaultRoute:
        verdict(defaultRoute.match(out).hasMatch(), QStringLiteral("no IPv6 default route"));
        break;
    case FactKind::Ipv6Enabled:
        verdict(result.exitCode == 0 && out.trimmed() == QLatin1String("0"),
            result.exitCode != 0
                ? QStringLiteral("the kernel has no IPv6 (no /proc/sys/net/ipv6)")
                : QStringLiteral("IPv6 is disabled (net.ipv6.conf.all.disable_ipv6 = %1)").arg(out.trimmed()));
        break;
    case FactKind::Resolver: {
        QStringList servers;
        auto it = nameserver.globalMatch(out);
        while (it.hasNext()) {
            servers << it.next().captured(1);
        }
        verdict(!servers.isEmpty(), QStringLiteral("no nameserver in /etc/resolv.conf"));
        break;
    }
    }
}

void evaluateDns(const Probe &probe, const CommandResult &result, Sample &s)
{
    const QString out = QString::fromUtf8(result.stdOut);
    const QString err = QString::fromUtf8(result.stdErr);
    const QString type = probe.family == Family::IPv6 ? QStringLiteral("AAAA") : QStringLiteral("A");
    QStringList addresses;
    static const QRegularExpression word(QStringLiteral("\\s+"));
    const bool fromDig = out.contains(QLatin1String("<<>> DiG"));
    // One answer record per line: "name. TTL IN A address"; the question line starts with ';'.
    static const QRegularExpression digAnswer(
        QStringLiteral("^[^;\\s]\\S*[ \\t]+\\d+[ \\t]+IN[ \\t]+(A|AAAA)[ \\t]+(\\S+)[ \\t]*$"),
        QRegularExpression::MultilineOption);
    if (fromDig) {
        auto it = digAnswer.globalMatch(out);
        while (it.hasNext()) {
            const auto m = it.next();
            if (m.captured(1) == type) {
                addresses << m.captured(2);
            }
        }
        static const QRegularExpression queryTime(QStringLiteral(";; Query time: (\\d+) msec"));
        if (const auto m = queryTime.match(out); m.hasMatch()) {
            s.latencyMs = m.captured(1).toDouble();
        }
    } else {
        // getent ahosts* lines: "ADDRESS STREAM name"; ahostsv6 also lists IPv4-mapped addresses.
        for (const QString &line : out.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
            const QString first = line.section(word, 0, 0);
            QHostAddress a;
            if (!a.setAddress(first)) {
                continue;
            }
            const bool mapped = first.startsWith(QLatin1String("::ffff:"), Qt::CaseInsensitive);
            const bool right = probe.family == Family::IPv6 ? a.protocol() == QAbstractSocket::IPv6Protocol && !mapped
                                                            : a.protocol() == QAbstractSocket::IPv4Protocol;
            if (right && !addresses.contains(first)) {
                addresses << first;
            }
        }
        static const QRegularExpression elapsed(QStringLiteral("nestscope-dns-us=(\\d+)"));
        if (const auto m = elapsed.match(err); m.hasMatch()) {
            s.latencyMs = m.captured(1).toDouble() / 1000.0;
        }
    }
    s.phasesMs.insert(QStringLiteral("dns"), s.latencyMs);
    if (!addresses.isEmpty()) {
        s.status = SampleStatus::Pass;
        return;
    }
    s.status = SampleStatus::Fail;
    static const QRegularExpression digStatus(QStringLiteral("status: (\\w+)"));
    if (fromDig && out.contains(QLatin1String("no servers could be reached"))) {
        s.status = SampleStatus::Timeout;
        s.message = QStringLiteral("no DNS server answered for %1").arg(probe.host);
    } else if (const auto m = digStatus.match(out);
               fromDig && m.hasMatch() && m.captured(1) != QLatin1String("NOERROR")) {
        s.message = QStringLiteral("%1 %2: %3").arg(probe.host, type, m.captured(1));
    } else {
        s.message = QStringLiteral("no %1 record for %2 (or the resolver did not answer)").arg(type, probe.host);
    }
}

void evaluateTcp(const Probe &probe, const CommandResult &result, Sample &s)
{
    const QString out = QString::fromUtf8(result.stdOut);
    static const QRegularExpression bashTime(QStringLiteral("nestscope-tcp-us=(\\d+)"));
    static const QRegularExpression curlConnect(QStringLiteral("nestscope-tcp connect=([\\d.]+)"));
    double connectMs = -1;
    bool viaCurl = false;
    if (const auto m = bashTime.match(out); m.hasMatch()) {
        connectMs = m.captured(1).toDouble() / 1000.0;
    } else if (const auto c = curlConnect.match(out); c.hasMatch()) {
        viaCurl = true;
        if (c.captured(1).toDouble() > 0) {
            connectMs = c.captured(1).toDouble() * 1000.0;
        }
    }
    const QString where = QStringLiteral("%1 port %2").arg(probe.host).arg(probe.port);
    const bool connected = result.exitCode == 0 || (viaCurl && result.exitCode == 28 && connectMs > 0);
    if (connected) {
        s.status = SampleStatus::Pass;
        if (connectMs >= 0) {
            s.latencyMs = connectMs;
            s.phasesMs.insert(QStringLiteral("connect"), connectMs);
        }
    } else if (result.exitCode == 124 || result.exitCode == 28 || result.stdErr.contains("timed out")) {
        // 124: timeout(1) ended bash; 28: curl's time-out; nc says "timed out" with its exit 1.
        s.status = SampleStatus::Timeout;
        s.message
            = QStringLiteral("no TCP answer from %1 within %2 s (dropped on the way?)").arg(where, seconds(probe));
    } else {
        s.status = SampleStatus::Fail;
        QString why = lastLine(result.stdErr);
        why.remove(QRegularExpression(QStringLiteral("^(bash: line \\d+: |nc: )")));
        s.message = QStringLiteral("cannot connect to %1: %2").arg(where, why);
    }
}

void evaluateIcmp(const Probe &probe, const CommandResult &result, Sample &s)
{
    const QString out = QString::fromUtf8(result.stdOut);
    static const QRegularExpression loss(QStringLiteral("([\\d.]+)% packet loss"));
    static const QRegularExpression rtt(QStringLiteral("= ([\\d.]+)/([\\d.]+)/([\\d.]+)"));
    const auto l = loss.match(out);
    if (!l.hasMatch()) {
        s.status = SampleStatus::Fail;
        s.message = QStringLiteral("ping %1 failed: %2").arg(probe.host, lastLine(result.stdErr));
        return;
    }
    const double lossPercent = l.captured(1).toDouble();
    if (const auto r = rtt.match(out); r.hasMatch()) {
        s.latencyMs = r.captured(2).toDouble();
        s.phasesMs.insert(QStringLiteral("rtt_min"), r.captured(1).toDouble());
        s.phasesMs.insert(QStringLiteral("rtt_avg"), r.captured(2).toDouble());
        s.phasesMs.insert(QStringLiteral("rtt_max"), r.captured(3).toDouble());
    }
    s.phasesMs.insert(QStringLiteral("loss_percent"), lossPercent);
    if (lossPercent < 100.0 && lossPercent <= probe.maxLossPercent) {
        s.status = SampleStatus::Pass;
    } else {
        s.status = SampleStatus::Fail;
        s.message = QStringLiteral("%1% of echo requests to %2 lost").arg(lossPercent).arg(probe.host);
    }
}

void evaluateMtu(const Probe &probe, const CommandResult &result, Sample &s)
{
    static const QRegularExpression mtu(QStringLiteral("nestscope-mtu=(\\d+)"));
    const auto m = mtu.match(QString::fromUtf8(result.stdOut));
    if (!m.hasMatch()) {
        s.status = SampleStatus::Error;
        s.message = QStringLiteral("could not measure the path MTU: %1").arg(lastLine(result.stdErr));
        return;
    }
    const int found = m.captured(1).toInt();
    s.phasesMs.insert(QStringLiteral("path_mtu"), found);
    if (found >= probe.mtu) {
        s.status = SampleStatus::Pass;
    } else if (found == 0) {
        s.status = SampleStatus::Fail;
        s.message = QStringLiteral("%1 does not answer ping at all, so the path MTU is unknown").arg(probe.host);
    } else {
        s.status = SampleStatus::Fail;
        s.message = QStringLiteral("path MTU to %1 is %2 bytes, expected %3").arg(probe.host).arg(found).arg(probe.mtu);
    }
}

void evaluatePackage(const CommandResult &result, Sample &s)
{
    // apt-get update exits 0 even when mirrors fail; its "Err:" and "W: Failed to fetch" lines say so.
    static const QRegularExpression aptError(
        QStringLiteral("^(Err:.*|W: Failed to fetch.*|E: .*|W: Some index files failed.*)$"),
        QRegularExpression::MultilineOption);
    const QString line = outputLine(result.stdOut + "\n" + result.stdErr, aptError);
    if (result.exitCode != 0 || !line.isEmpty()) {
        s.status = SampleStatus::Fail;
        s.message = line.isEmpty()
            ? QStringLiteral("exit code %1: %2").arg(result.exitCode).arg(lastLine(result.stdErr))
            : line.left(300);
    } else {
        s.status = SampleStatus::Pass;
    }
}

void evaluateDocker(const Probe &probe, const CommandResult &result, Sample &s)
{
    if (result.exitCode == 0) {
        s.status = SampleStatus::Pass;
        return;
    }
    s.status = SampleStatus::Fail;
    s.message = probe.image.isEmpty()
        ? QStringLiteral("the Docker daemon does not answer: %1").arg(lastLine(result.stdErr))
        : QStringLiteral("docker pull %1 failed: %2").arg(probe.image, lastLine(result.stdErr));
}

void evaluateShell(const Probe &probe, const CommandResult &result, Sample &s)
{
    if (result.exitCode != probe.expectExit) {
        s.status = SampleStatus::Fail;
        const QString err = lastLine(result.stdErr);
        s.message = QStringLiteral("exit code %1, expected %2").arg(result.exitCode).arg(probe.expectExit);
        if (!err.isEmpty()) {
            s.message += QStringLiteral(": ") + err;
        }
        return;
    }
    if (!probe.expectStdout.isEmpty()) {
        const QRegularExpression re(probe.expectStdout);
        if (!re.match(QString::fromUtf8(result.stdOut)).hasMatch()) {
            s.status = SampleStatus::Fail;
            s.message = QStringLiteral("output does not match /%1/").arg(probe.expectStdout);
            return;
        }
    }
    s.status = SampleStatus::Pass;
}

} // namespace

QString compileProbe(const Probe &probe)
{
    QString body;
    switch (probe.kind) {
    case ProbeKind::Shell:
        body = probe.command;
        break;
    case ProbeKind::Http:
        body = compileHttp(probe);
        break;
    case ProbeKind::Fact:
        body = compileFact(probe);
        break;
    case ProbeKind::Dns:
        body = compileDns(probe);
        break;
    case ProbeKind::Tcp:
        body = compileTcp(probe);
        break;
    case ProbeKind::Icmp:
        body = compileIcmp(probe);
        break;
    case ProbeKind::Mtu:
        body = compileMtu(probe);
        break;
    case ProbeKind::Package:
        body = compilePackage(probe);
        break;
    case ProbeKind::Docker:
        body = compileDocker(probe);
        break;
    }
    return guardPrefix(probe) + body;
}

Sample evaluateProbe(const Probe &probe, const QString &command, const CommandResult &result)
{
    Sample s;
    s.probeId = probe.id;
    s.command = command;
    s.latencyMs = static_cast<double>(result.wallTimeMs);
    s.exitCode = result.outcome == CommandOutcome::Exited ? result.exitCode : -1;
    s.signal = result.signal;
    s.stdOut = result.stdOut;
    s.stdErr = result.stdErr;
    s.stdOutTruncated = result.stdOutTruncated;
    s.stdErrTruncated = result.stdErrTruncated;

    switch (result.outcome) {
    case CommandOutcome::Exited:
        break;
    case CommandOutcome::Timeout:
        s.status = SampleStatus::Timeout;
        s.message = QStringLiteral("no answer within %1 ms; the command was killed").arg(probe.timeout.count());
        return s;
    case CommandOutcome::Cancelled:
        s.status = SampleStatus::Skipped;
        s.message = QStringLiteral("cancelled while running");
        return s;
    case CommandOutcome::Signalled:
    case CommandOutcome::FailedToStart:
    case CommandOutcome::ConnectionLost:
        s.status = SampleStatus::Error;
        s.message = result.errorString.isEmpty() ? toText(result.outcome) : result.errorString;
        return s;
    }

    if (const QString missing = missingToolMessage(result); !missing.isEmpty()) {
        s.status = SampleStatus::Error; // the target lacks the tool this probe needs
        s.message = missing;
        return s;
    }
    if (result.stdOut.startsWith(kSkipMarker)) {
        s.status = SampleStatus::Skipped;
        s.message = QString::fromUtf8(result.stdOut.mid(qsizetype(qstrlen(kSkipMarker)))).trimmed();
        return s;
    }
    switch (probe.kind) {
    case ProbeKind::Shell:
        evaluateShell(probe, result, s);
        break;
    case ProbeKind::Http:
        evaluateHttp(probe, result, s);
        break;
    case ProbeKind::Fact:
        evaluateFact(probe, result, s);
        break;
    case ProbeKind::Dns:
        evaluateDns(probe, result, s);
        break;
    case ProbeKind::Tcp:
        evaluateTcp(probe, result, s);
        break;
    case ProbeKind::Icmp:
        evaluateIcmp(probe, result, s);
        break;
    case ProbeKind::Mtu:
        evaluateMtu(probe, result, s);
        break;
    case ProbeKind::Package:
        evaluatePackage(result, s);
        break;
    case ProbeKind::Docker:
        evaluateDocker(probe, result, s);
        break;
    }
    return s;
}

bool expectationHolds(const Plan &plan, const Sample &sample)
{
    switch (sample.status) {
    case SampleStatus::Skipped:
        return true;
    case SampleStatus::Error:
        return false;
    case SampleStatus::Pass:
        return plan.expectsPass(sample.probeId, sample.target);
    case SampleStatus::Fail:
    case SampleStatus::Timeout:
        return !plan.expectsPass(sample.probeId, sample.target);
    }
    return false;
}

} // namespace nestscope
