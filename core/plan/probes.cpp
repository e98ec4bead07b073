#include "probes.h"

#include "common/shellquote.h"

#include <QRegularExpression>

#include <algorithm>
#include <cmath>

namespace nestscope {

namespace {

// curl's -w report: one line that cannot be confused with a page body, since the body goes to /dev/null.
constexpr auto kCurlMarker = "nestscope-http";

QString compileHttp(const Probe &probe)
{
    const QString url = shellQuote(probe.url.toString(QUrl::FullyEncoded));
    // Leave the tool a little less time than the transport so it reports its own timeout (curl: 28).
    const qint64 seconds = std::max<qint64>(1, (probe.timeout.count() - 250) / 1000);
    const QString maxTime = QString::number(seconds);
    const QString curl
        = QStringLiteral("curl -sS -o /dev/null --max-time %1 -w '%2 code=%{http_code} dns=%{time_namelookup} "
                         "connect=%{time_connect} tls=%{time_appconnect} ttfb=%{time_starttransfer} "
                         "total=%{time_total}\\n' -- %3")
              .arg(maxTime, QLatin1String(kCurlMarker), url);
    const QString wget = QStringLiteral("wget -S -O /dev/null -T %1 -t 1 -- %2").arg(maxTime, url);
    return QStringLiteral("if command -v curl >/dev/null 2>&1; then %1; elif command -v wget >/dev/null 2>&1; then %2; "
                          "else echo 'nestscope: neither curl nor wget is installed on this target' >&2; exit 127; fi")
        .arg(curl, wget);
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

QString firstLine(const QByteArray &text)
{
    const QString s = QString::fromUtf8(text).trimmed();
    return s.section(QLatin1Char('\n'), -1).trimmed().left(300);
}

void evaluateHttp(const Probe &probe, const CommandResult &result, Sample &s)
{
    if (result.exitCode == 127 && result.stdOut.isEmpty()) {
        s.status = SampleStatus::Error;
        s.message = firstLine(result.stdErr);
        return;
    }
    static const QRegularExpression curlLine(QStringLiteral(
        "nestscope-http code=(\\d{3}) dns=([\\d.]+) connect=([\\d.]+) tls=([\\d.]+) ttfb=([\\d.]+) total=([\\d.]+)"));
    const auto m = curlLine.match(QString::fromUtf8(result.stdOut));
    if (m.hasMatch()) {
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
        if (result.exitCode == 28) {
            s.status = SampleStatus::Timeout;
            s.message = QStringLiteral("curl gave up after %1 s: %2")
                            .arg(probe.timeout.count() / 1000)
                            .arg(firstLine(result.stdErr));
        } else if (code == 0) {
            s.status = SampleStatus::Fail;
            s.message = QStringLiteral("no HTTP response (curl exit %1): %2")
                            .arg(result.exitCode)
                            .arg(firstLine(result.stdErr));
        } else if (statusExpected(probe, code)) {
            s.status = SampleStatus::Pass;
        } else {
            s.status = SampleStatus::Fail;
            s.message = QStringLiteral("HTTP %1, expected %2").arg(code).arg(expectedStatusText(probe));
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
        s.message = QStringLiteral("no HTTP response (exit %1): %2").arg(result.exitCode).arg(firstLine(result.stdErr));
        if (s.message.endsWith(QLatin1String(": "))) {
            s.message.chop(2);
        }
    } else if (statusExpected(probe, code)) {
        s.status = SampleStatus::Pass;
    } else {
        s.status = SampleStatus::Fail;
        s.message = QStringLiteral("HTTP %1, expected %2").arg(code).arg(expectedStatusText(probe));
    }
    s.phasesMs.insert(QStringLiteral("total"), s.latencyMs);
}

void evaluateShell(const Probe &probe, const CommandResult &result, Sample &s)
{
    if (result.exitCode != probe.expectExit) {
        s.status = SampleStatus::Fail;
        const QString err = firstLine(result.stdErr);
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
    switch (probe.kind) {
    case ProbeKind::Shell:
        return probe.command;
    case ProbeKind::Http:
        return compileHttp(probe);
    }
    return {};
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

    switch (probe.kind) {
    case ProbeKind::Shell:
        evaluateShell(probe, result, s);
        break;
    case ProbeKind::Http:
        evaluateHttp(probe, result, s);
        break;
    }
    return s;
}

} // namespace nestscope
