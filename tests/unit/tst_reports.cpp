#include "report/progress.h"
#include "report/reports.h"
#include "results/runjson.h"

#include <QFile>
#include <QTest>
#include <QXmlStreamReader>

using namespace nestscope;

namespace {

Sample sample(const QString &probe, SampleStatus status, const QByteArray &out = {}, const QString &message = {})
{
    Sample s;
    s.probeId = probe;
    s.target = QStringLiteral("runner");
    s.status = status;
    s.stdOut = out;
    s.message = message;
    s.command = QStringLiteral("cmd ") + probe;
    s.exitCode = status == SampleStatus::Pass ? 0 : 1;
    return s;
}

Run makeRun(const QList<Sample> &samples)
{
    Run run;
    run.planName = QStringLiteral("R");
    run.host = QStringLiteral("local");
    run.targets = { QStringLiteral("runner") };
    for (const Sample &s : samples) {
        if (!run.probeIds.contains(s.probeId)) {
            run.probeIds << s.probeId;
        }
    }
    run.samples = samples;
    return run;
}

} // namespace

class TestReports : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void progressBarFitsTheTerminal()
    {
        ProgressState st;
        st.done = 25;
        st.total = 50;
        st.elapsedMs = 12000;
        st.problems = 2;
        const QString line = progressBarLine(st, QStringLiteral("http-ipv4 on vm1"), 120);
        QVERIFY2(line.startsWith(QLatin1Char('[')), qPrintable(line));
        QCOMPARE(line.count(QLatin1Char('#')), 15); // half of a 30-column bar
        QVERIFY2(line.contains(QStringLiteral("25/50  50%")), qPrintable(line));
        QVERIFY2(line.contains(QStringLiteral("0:12 elapsed, ~0:12 left")), qPrintable(line));
        QVERIFY2(line.contains(QStringLiteral("2 problems  http-ipv4 on vm1")), qPrintable(line));
        const QString narrow = progressBarLine(st, QStringLiteral("http-ipv4 on vm1"), 40);
        QCOMPARE(narrow.size(), 40);
        QVERIFY(narrow.endsWith(QChar(0x2026)));
        st.done = 0;
        QVERIFY(!progressBarLine(st, {}, 120).contains(QStringLiteral("left"))); // no ETA from nothing
        st.done = 50;
        QVERIFY(progressBarLine(st, {}, 120).contains(QStringLiteral("50/50 100%")));
        QCOMPARE(formatClock(3723000), QStringLiteral("1:02:03"));
        QCOMPARE(formatClock(7000), QStringLiteral("0:07"));

        Sample s;
        s.probeId = QStringLiteral("tcp-ipv6");
        s.target = QStringLiteral("vm2");
        s.status = SampleStatus::Timeout;
        s.latencyMs = 3000;
        s.message = QStringLiteral("no answer in 3 s");
        st.done = 3;
        QCOMPARE(
            progressSampleLine(st, s), QStringLiteral("[3/50] timeout tcp-ipv6 on vm2 #1 3000 ms — no answer in 3 s"));
        // Output cut at the transport's cap is said, with what was kept.
        s.stdOut = QByteArray(1024 * 1024, 'y');
        s.stdOutTruncated = true;
        s.stdErr = QByteArray(2048, 'e');
        s.stdErrTruncated = true;
        QCOMPARE(progressSampleLine(st, s),
            QStringLiteral("[3/50] timeout tcp-ipv6 on vm2 #1 3000 ms — no answer in 3 s (stdout cut at 1024 KiB, "
                           "stderr cut at 2 KiB, the rest was dropped)"));
    }

    void junitIsValidXmlWithConsistentCounts()
    {
        const Run run = makeRun({ sample(QStringLiteral("ok"), SampleStatus::Pass),
            sample(QStringLiteral("mixed"), SampleStatus::Error, "bell\x07 and escape\x1b[0m",
                QStringLiteral("no tool\x01")),
            sample(QStringLiteral("mixed"), SampleStatus::Fail), sample(QStringLiteral("err"), SampleStatus::Error) });
        const QByteArray xml = runToJUnit(Plan(), run);
        QXmlStreamReader reader(xml);
        int failureElements = 0;
        int errorElements = 0;
        while (!reader.atEnd()) {
            reader.readNext();
            if (reader.isStartElement() && reader.name() == QLatin1String("testsuite")) {
                QCOMPARE(reader.attributes().value(QLatin1String("failures")).toString(), QStringLiteral("1"));
                QCOMPARE(reader.attributes().value(QLatin1String("errors")).toString(), QStringLiteral("1"));
            }
            failureElements += reader.isStartElement() && reader.name() == QLatin1String("failure") ? 1 : 0;
            errorElements += reader.isStartElement() && reader.name() == QLatin1String("error") ? 1 : 0;
        }
        QVERIFY2(!reader.hasError(), qPrintable(reader.errorString())); // control characters were replaced
        QCOMPARE(failureElements, 1); // [error, fail] is a failure, counted and written alike
        QCOMPARE(errorElements, 1);
    }

    void markdownFencesSurviveBackticksInOutput()
    {
        const Run run
            = makeRun({ sample(QStringLiteral("x"), SampleStatus::Fail, "```\nnot the end", QStringLiteral("boom")) });
        const QString md = QString::fromUtf8(runToMarkdown(Plan(), run));
        QVERIFY2(md.contains(QStringLiteral("````console\n$ cmd x\n```\nnot the end\n````\n")), qPrintable(md));
        QVERIFY(md.contains(QStringLiteral("**1 of 1 samples broke an expectation.**")));
    }

    void terminalSafeShowsControlCharacters()
    {
        QCOMPARE(terminalSafe(QStringLiteral("plain text\twith a tab\nand a newline")),
            QStringLiteral("plain text\twith a tab\nand a newline"));
        QCOMPARE(terminalSafe(QStringLiteral("\x1b]0;pwned\x07\x1b[2J")), QStringLiteral("\\x1b]0;pwned\\x07\\x1b[2J"));
        QCOMPARE(terminalSafe(QStringLiteral("cr\rdel\x7f") + QChar(0x9b) + QStringLiteral("✓")),
            QStringLiteral("cr\\x0ddel\\x7f\\x9b✓"));
        // The sample line and the bar are safe as a whole.
        Sample s = sample(QStringLiteral("p"), SampleStatus::Fail, {}, QStringLiteral("bad \x1b[2J"));
        QVERIFY(!progressSampleLine(ProgressState { 1, 1, 0, 1 }, s).contains(QChar(0x1b)));
        QVERIFY(!progressBarLine(ProgressState { 1, 2, 0, 0 }, QStringLiteral("p\x1b[31m on runner"), 200)
                     .contains(QChar(0x1b)));
    }

    void markdownOfACancelledRunSaysSo()
    {
        Plan plan;
        plan.targets = { QStringLiteral("runner") };
        Probe p;
        p.id = QStringLiteral("a");
        p.repeat = 3;
        plan.probes = { p };
        Run run = makeRun({ sample(QStringLiteral("a"), SampleStatus::Pass) });
        run.cancelled = true;
        const QString md = QString::fromUtf8(runToMarkdown(plan, run));
        QVERIFY2(!md.contains(QStringLiteral("Every expectation held")), qPrintable(md));
        QVERIFY2(
            md.contains(QStringLiteral("**The run was cancelled before it finished:** 1 of 3 samples were recorded.")),
            qPrintable(md));
    }

    // The findings lead the report, with the evidence's raw text and the fix as a script that
    // can be pasted, and its revert; a healthy run says so and lists no finding.
    void markdownStartsWithTheFindings()
    {
        const auto read = [](const char *scenario) {
            QFile f(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/scenarios/%1.json").arg(QLatin1String(scenario)));
            [&] {
                QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
            }();
            return runFromJson(f.readAll(), f.fileName());
        };
        const auto run = read("forward-drop");
        QVERIFY(run.ok());
        const auto diagnosis = diagnoseRun(*run);
        QVERIFY(diagnosis.ok());
        auto plan = parsePlan(run->planText);
        QVERIFY(plan.ok());
        const QString md = QString::fromUtf8(runToMarkdown(*plan, *run, &*diagnosis));
        const qsizetype findings = md.indexOf(QStringLiteral("## Diagnosis"));
        const qsizetype matrix = md.indexOf(QStringLiteral("## Matrix"));
        QVERIFY(findings > 0 && matrix > findings);
        QVERIFY(md.contains(QStringLiteral("**Likely cause**")));
        QVERIFY(md.contains(QStringLiteral("### 1. The runner's firewall drops")));
        QVERIFY(md.contains(QStringLiteral(":FORWARD DROP")));
        QVERIFY(md.contains(QStringLiteral(
            "```sh\n# Accept what lxdbr0 sends, before the policy.\niptables -I FORWARD -i lxdbr0 -j ACCEPT\n")));
        QVERIFY(md.contains(QStringLiteral("iptables -D FORWARD -i lxdbr0 -j ACCEPT")));
        QVERIFY(!md.contains(QStringLiteral("<details><summary>1 lines"))); // short raw text is not folded

        const auto healthyRun = read("healthy");
        QVERIFY(healthyRun.ok());
        const auto healthy = diagnoseRun(*healthyRun);
        QVERIFY(healthy.ok());
        const QString ok = diagnosisToMarkdown(*healthy);
        QVERIFY(ok.startsWith(QStringLiteral("## Diagnosis\n\n**Healthy**")));
        QVERIFY(!ok.contains(QStringLiteral("### 1.")));
        QCOMPARE(diagnosisSummaryText(*healthy).count(QLatin1Char('\n')), 1);
    }

    void clippedOutputSaysThereWasMore()
    {
        Plan plan;
        plan.targets = { QStringLiteral("runner") };
        Sample s = sample(QStringLiteral("a"), SampleStatus::Fail, QByteArray(3000, 'x'));
        s.stdOutTruncated = true;
        const QByteArray xml = runToJUnit(plan, makeRun({ s }));
        QVERIFY2(xml.contains("[… at least 1000 more characters]"), xml.constData());
        s.stdOutTruncated = false;
        QVERIFY(runToJUnit(plan, makeRun({ s })).contains("[… 1000 more characters]"));
    }
};

QTEST_GUILESS_MAIN(TestReports)
#include "tst_reports.moc"
