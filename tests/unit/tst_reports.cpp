#include "report/progress.h"
#include "report/report.h"
#include "report/reportpdf.h"
#include "report/reports.h"
#include "results/runjson.h"
#include "topology/topologyjson.h"

#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QImage>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
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

Run loadRecorded(const QString &scenario)
{
    QFile f(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/scenarios/") + scenario + QStringLiteral(".json"));
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot open %s", qPrintable(f.fileName()));
    }
    auto run = runFromJson(f.readAll(), f.fileName());
    if (!run) {
        qFatal("%s", qPrintable(run.error().toString()));
    }
    return run.value();
}

// The recorded comparison of the golden file: the lab's ipv6-only scenario (lxdbr0 without an IPv4
// subnet), then the healthy recording standing for the run after the fix.
Report ipv6OnlyToHealthy(bool withFigure)
{
    static const Run before = loadRecorded(QStringLiteral("ipv6-only"));
    static const Run after = loadRecorded(QStringLiteral("healthy"));
    ReportInput input;
    input.run = &before;
    input.later = &after;
    input.withFigure = withFigure;
    return buildReport(input);
}

// Text as pdftotext gives it back, comparable with what was laid out: ligatures ("ﬁ") spelled out
// (NFKC), and without white space and hyphens, as a line break may fall inside "ipv6-default-route"
// and pdftotext then joins the word without its hyphen.
QString normalized(const QString &text)
{
    static const QRegularExpression gaps(QStringLiteral("[\\s\\-]+"));
    return text.normalized(QString::NormalizationForm_KC).remove(gaps);
}

/// Runs a poppler tool; fails the test (not skips it) when it is missing: it is one of the
/// packages packaging/install-deps.sh installs.
QByteArray poppler(const QString &tool, const QStringList &arguments)
{
    const QString program = QStandardPaths::findExecutable(tool);
    if (program.isEmpty()) {
        qWarning("%s not found: install poppler-utils (packaging/install-deps.sh)", qPrintable(tool));
        return {};
    }
    QProcess p;
    p.start(program, arguments);
    if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        qWarning("%s failed: %s", qPrintable(tool), p.readAllStandardError().constData());
        return {};
    }
    return p.readAllStandardOutput() + QByteArray(" "); // never empty when it ran
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

    void reportMarkdownMatchesTheGoldenComparison()
    {
        const Report report = ipv6OnlyToHealthy(false);
        const QByteArray md = reportToMarkdown(report);
        const QString golden = QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/reports/ipv6-only-to-healthy.md");
        if (qEnvironmentVariableIsSet("NESTSCOPE_UPDATE_GOLDEN")) {
            QFile out(golden);
            QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
            out.write(md);
        }
        QFile f(golden);
        QVERIFY2(
            f.open(QIODevice::ReadOnly), qPrintable(golden + QStringLiteral(" (NESTSCOPE_UPDATE_GOLDEN=1 writes it)")));
        const QByteArray expected = f.readAll();
        if (md != expected) {
            QTemporaryDir dir;
            dir.setAutoRemove(false);
            QFile actual(dir.filePath(QStringLiteral("actual.md")));
            QVERIFY(actual.open(QIODevice::WriteOnly));
            actual.write(md);
            QFAIL(qPrintable(QStringLiteral("the report differs from %1; see `diff %1 %2` (NESTSCOPE_UPDATE_GOLDEN=1 "
                                            "rewrites the golden file)")
                                 .arg(golden, actual.fileName())));
        }
        // What the golden file must say, whatever else changes in it.
        // healthy's package-manager fails as ipv6-only's does (the lab has no mirror): fixed, none broke, but
        // that cell still fails on every target, so the fix is only partly verified, and the report says where.
        QVERIFY(report.verification);
        QCOMPARE(report.verification->outcome, Report::Verification::Outcome::Partly);
        QCOMPARE(report.verification->stillFailing.size(), 3);
        QVERIFY2(report.summary.contains(QStringLiteral("but 3 still fail: package-manager on runner, package-manager "
                                                        "on vm1 and package-manager on vm2.")),
            qPrintable(report.summary));
        // The healthy recording was made a few seconds before the ipv6-only one: the report says so.
        QCOMPARE(report.verification->caveats.size(), 1);
        QVERIFY(report.verification->caveats.constFirst().startsWith(QStringLiteral("The later run started before")));
        QVERIFY(report.diagnosis && !report.diagnosis->findings.isEmpty());
        QCOMPARE(report.verification->broke, 0);
        QVERIFY(report.verification->fixed > 0);
        const QString text = QString::fromUtf8(md);
        for (const char *section : { "## Environment", "## Symptoms", "## Findings", "## The fix", "## Verification",
                 "## Appendix: every command that ran" }) {
            QVERIFY2(text.contains(QLatin1String(section)), section);
        }
        QVERIFY(text.contains(report.diagnosis->findings.constFirst().title));
    }

    void reportMarkdownEscapesPipesAndCutsNothing()
    {
        const QString longMessage
            = QStringLiteral("refused | ") + QString(3000, QLatin1Char('x')) + QStringLiteral(" END");
        QByteArray output;
        for (int i = 0; i < 40; ++i) {
            output += "line " + QByteArray::number(i) + " of the output\n";
        }
        Sample bad = sample(QStringLiteral("http-ipv4"), SampleStatus::Fail, output, longMessage);
        Run run = makeRun({ sample(QStringLiteral("dns-a"), SampleStatus::Pass), bad });
        Topology topology;
        topology.hostname = QStringLiteral("ci-7");
        topology.kernel = QStringLiteral("6.1.0 | custom");
        run.topologyJson = QJsonDocument(topologyToJson(topology)).toJson(QJsonDocument::Compact);
        ReportInput input;
        input.run = &run;
        input.withFigure = false;
        const QString md = QString::fromUtf8(reportToMarkdown(buildReport(input)));
        QVERIFY2(md.contains(longMessage), "the whole message, not its start");
        QVERIFY(md.contains(QStringLiteral("line 39 of the output")));
        QVERIFY2(md.contains(QStringLiteral("<details><summary>42 lines</summary>")), qPrintable(md));
        QVERIFY(md.contains(QStringLiteral("| Kernel | 6.1.0 \\| custom |")));
        // Every row of every table has as many unescaped pipes as its header.
        qsizetype columns = -1;
        static const QRegularExpression unescaped(QStringLiteral("(?<!\\\\)\\|"));
        for (const QString &line : md.split(QLatin1Char('\n'))) {
            if (!line.startsWith(QLatin1Char('|'))) {
                columns = -1;
                continue;
            }
            const qsizetype pipes = line.count(unescaped);
            if (columns < 0) {
                columns = pipes;
            }
            QVERIFY2(pipes == columns, qPrintable(line));
        }
    }

    void reportWithoutFindingsStillGivesTheSymptoms()
    {
        Run run = makeRun({ sample(QStringLiteral("dns-a"), SampleStatus::Pass),
            sample(QStringLiteral("http-ipv4"), SampleStatus::Timeout, {}, QStringLiteral("no answer in 5 s")) });
        ReportInput input;
        input.run = &run;
        const Report report = buildReport(input);
        QVERIFY(!report.diagnosis);
        QVERIFY(!report.hasFigure());
        const QString md = QString::fromUtf8(reportToMarkdown(report));
        QVERIFY2(md.contains(QStringLiteral("No diagnosis: the run has no topology snapshot")), qPrintable(md));
        QVERIFY(md.contains(QStringLiteral("| http-ipv4 | ❌ 0/1")));
        QVERIFY(md.contains(QStringLiteral("**http-ipv4** on **runner** (repetition 1): timeout")));
        QVERIFY(
            report.summary.startsWith(QStringLiteral("1 of 2 samples broke an expectation, on runner (http-ipv4).")));
        QVERIFY(report.summary.contains(QStringLiteral("Not verified yet")));
        // The HTML says the same and is still well formed.
        QXmlStreamReader xml(reportToHtml(report));
        while (!xml.atEnd()) {
            xml.readNext();
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    }

    void experimentsTriedFromTheRunAreInTheVerification()
    {
        const Run before = loadRecorded(QStringLiteral("ipv6-only"));
        Experiment kept;
        kept.id = 3;
        kept.runner = QStringLiteral("ssh://nslab@runner-3");
        kept.findingId = QStringLiteral("ipv6-only-no-uplink");
        kept.title = QStringLiteral("lxdbr0 has no IPv4 | and the uplink has no IPv6");
        kept.steps = { { QStringLiteral("lxc network set lxdbr0 ipv4.address auto"),
            QStringLiteral("lxc network set lxdbr0 ipv4.address none"), {} } };
        kept.applied = 1;
        kept.state = ExperimentState::Kept;
        kept.outcome = QStringLiteral("29 cells fixed, 0 broke");
        kept.createdAt = QDateTime::fromMSecsSinceEpoch(1'700'000'000'000LL, Qt::UTC);
        Experiment pending = kept;
        pending.id = 2;
        pending.state = ExperimentState::Applied;
        pending.outcome.clear();
        ReportInput input;
        input.run = &before;
        input.withFigure = false;
        input.experiments = { kept, pending };
        const Report report = buildReport(input);
        QCOMPARE(report.experiments.size(), 2);
        QCOMPARE(report.experiments.first().id, 2); // oldest first
        const QString md = QString::fromUtf8(reportToMarkdown(report));
        const qsizetype verification = md.indexOf(QStringLiteral("## Verification"));
        const qsizetype experiment = md.indexOf(QStringLiteral("### Experiment 3: lxdbr0 has no IPv4 \\| and"));
        QVERIFY2(verification > 0 && experiment > verification, qPrintable(md));
        QVERIFY(md.contains(QStringLiteral("**kept**: 29 cells fixed, 0 broke.")));
        QVERIFY(md.contains(QStringLiteral("lxc network set lxdbr0 ipv4.address auto")));
        // the one still applied says what undoes it; the kept one does not
        QCOMPARE(md.count(QStringLiteral("Still applied; to undo it:")), 1);
        const qsizetype undo = md.indexOf(QStringLiteral("Still applied; to undo it:"));
        QVERIFY(md.indexOf(QStringLiteral("lxc network set lxdbr0 ipv4.address none"), undo) > undo);
        const QString html = QString::fromUtf8(reportToHtml(report));
        QVERIFY(
            html.contains(QStringLiteral("<h3>Experiment 3: lxdbr0 has no IPv4 | and the uplink has no IPv6</h3>")));
        QXmlStreamReader xml(html);
        while (!xml.atEnd()) {
            xml.readNext();
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        // without experiments the report is as before (the golden file holds that)
        input.experiments.clear();
        QVERIFY(!QString::fromUtf8(reportToMarkdown(buildReport(input))).contains(QStringLiteral("### Experiment")));
    }

    void aFleetOfInstancesReadsAsOneColumn()
    {
        // A runner with 12 instances: 11 fail the same way, one passes. The symptoms show three
        // columns, the failure is told once for the 11, and the appendix lists their commands once.
        QList<Sample> samples { sample(QStringLiteral("http-ipv4"), SampleStatus::Pass) };
        QStringList fleet;
        for (int i = 1; i <= 12; ++i) {
            Sample s = sample(QStringLiteral("http-ipv4"), i == 7 ? SampleStatus::Pass : SampleStatus::Fail, {},
                i == 7 ? QString() : QStringLiteral("connection refused"));
            s.target = QStringLiteral("vm%1").arg(i, 2, 10, QLatin1Char('0'));
            if (i != 7) {
                fleet << s.target;
            }
            samples << s;
        }
        Run run = makeRun(samples);
        run.targets = { QStringLiteral("runner") };
        for (const Sample &s : samples.mid(1)) {
            run.targets << s.target;
        }
        ReportInput input;
        input.run = &run;
        input.withFigure = false;
        const Report report = buildReport(input);
        QCOMPARE(report.matrix.columnCount(), 13);
        const QString fleetLabel = targetList(fleet);
        QCOMPARE(fleetLabel, QStringLiteral("vm01, vm02, vm03 … vm12 (11 targets)"));
        QCOMPARE(
            report.symptoms.targets(), (QStringList { QStringLiteral("runner"), fleetLabel, QStringLiteral("vm07") }));
        QCOMPARE(report.mergedColumns.value(fleetLabel), fleet);
        QCOMPARE(report.symptoms.cell(0, 1).total, 11);
        QCOMPARE(report.failures.size(), 1);
        QCOMPARE(report.failures.constFirst().targets, fleet);
        QCOMPARE(report.commands.size(), 1); // every target ran the same command once
        QCOMPARE(report.commands.constFirst().targets.size(), 13);
        const QString md = QString::fromUtf8(reportToMarkdown(report));
        QVERIFY2(md.contains(QStringLiteral("| probe | runner | vm01, vm02, vm03 … vm12 (11 targets) | vm07 |")),
            qPrintable(md));
        QVERIFY(md.contains(fleet.join(QStringLiteral(", ")))); // every name is still in the report
    }

    void aProblemOnManyInstancesIsToldOnce()
    {
        // ipv6-only's runner with vm1 stamped out six times: "vmN has no IPv4 address" six times
        // over would bury the bridge's own problem.
        Run run = loadRecorded(QStringLiteral("ipv6-only"));
        auto parsed = topologyFromJson(QJsonDocument::fromJson(run.topologyJson).object());
        QVERIFY(parsed);
        Topology topology = parsed.value();
        const TopoInstance vm1 = *topology.instance(QStringLiteral("vm1"));
        topology.instances.clear();
        for (int i = 1; i <= 6; ++i) {
            TopoInstance copy = vm1;
            copy.name = QStringLiteral("vm%1").arg(i);
            topology.instances << copy;
        }
        run.topologyJson = QJsonDocument(topologyToJson(topology)).toJson(QJsonDocument::Compact);
        ReportInput input;
        input.run = &run;
        input.withFigure = false;
        const Report report = buildReport(input);
        int noIpv4 = 0;
        for (const Report::Environment::Problem &p : report.environment.problems) {
            // The bridge's own "no-ipv4" (no IPv4 subnet) stays apart from its instances'.
            if (p.problem.id == QLatin1String("no-ipv4") && p.problem.nodeId.startsWith(QLatin1String("inst:"))) {
                ++noIpv4;
                QCOMPARE(p.problem.nodeId, QStringLiteral("inst:vm1"));
                QCOMPARE(p.alsoOn,
                    (QStringList { QStringLiteral("inst:vm2"), QStringLiteral("inst:vm3"), QStringLiteral("inst:vm4"),
                        QStringLiteral("inst:vm5"), QStringLiteral("inst:vm6") }));
            }
        }
        QCOMPARE(noIpv4, 1);
        QVERIFY(
            reportToMarkdown(report).contains("The same on 5 more: inst:vm2, inst:vm3, inst:vm4, inst:vm5, inst:vm6."));
    }

    void reportOfAHealthyRunSaysSo()
    {
        const Run healthy = loadRecorded(QStringLiteral("healthy"));
        ReportInput input;
        input.run = &healthy;
        input.withFigure = false;
        const Report report = buildReport(input);
        QVERIFY(report.diagnosis && report.diagnosis->isHealthy());
        const QString md = QString::fromUtf8(reportToMarkdown(report));
        QVERIFY2(md.contains(QStringLiteral("## Findings\n\nNo finding: ")), qPrintable(md.left(3000)));
        QVERIFY(!md.contains(QStringLiteral("## The fix")));
        QVERIFY(md.contains(QStringLiteral("No later run was given.")));
    }

    void reportHtmlIsStrictSelfContainedAndHoldsTheGraph()
    {
        const Report report = ipv6OnlyToHealthy(true);
        QVERIFY(report.hasFigure());
        const QByteArray html = reportToHtml(report);
        QXmlStreamReader xml(html);
        int svgs = 0;
        int topologyPaths = 0;
        int failedEdges = 0;
        bool inTopology = false;
        bool inStyle = false;
        QString style;
        QStringList references;
        while (!xml.atEnd()) {
            xml.readNext();
            if (xml.isStartElement()) {
                const auto name = xml.name();
                for (const QXmlStreamAttribute &a : xml.attributes()) {
                    const auto attr = a.name();
                    if (attr == QLatin1String("src") || attr == QLatin1String("href") || attr == QLatin1String("action")
                        || attr == QLatin1String("data") || attr == QLatin1String("poster")) {
                        references << a.value().toString();
                    }
                    if (a.value().contains(QLatin1String("url("))) {
                        references << a.value().toString();
                    }
                }
                if (name == QLatin1String("link") || name == QLatin1String("iframe") || name == QLatin1String("img")) {
                    references << name.toString();
                }
                if (name == QLatin1String("svg")) {
                    ++svgs;
                    inTopology = xml.attributes().value(QLatin1String("role")) == QLatin1String("img") && svgs == 1;
                }
                if (inTopology && name == QLatin1String("path")) {
                    ++topologyPaths;
                    failedEdges += xml.attributes().value(QLatin1String("stroke")) == QLatin1String("#d02a1e");
                }
                inStyle = name == QLatin1String("style");
            } else if (xml.isEndElement()) {
                if (xml.name() == QLatin1String("svg")) {
                    inTopology = false;
                }
                inStyle = false;
            } else if (xml.isCharacters() && inStyle) {
                style += xml.text();
            }
        }
        QVERIFY2(!xml.hasError(),
            qPrintable(QStringLiteral("line %1, column %2: %3")
                           .arg(xml.lineNumber())
                           .arg(xml.columnNumber())
                           .arg(xml.errorString())));
        QVERIFY2(references.isEmpty(), qPrintable(references.join(QLatin1Char(' '))));
        QVERIFY(!style.contains(QLatin1String("url(")));
        QVERIFY(!style.contains(QLatin1String("@import")));
        QVERIFY(style.contains(QLatin1String("@media (prefers-color-scheme: dark)")));
        QVERIFY(style.contains(QLatin1String("@media print")));
        // The summary's command is code, not Markdown backticks.
        QVERIFY(html.contains("<code>lxc network set lxdbr0 ipv4.address auto</code>"));
        QCOMPARE(svgs, 3); // the topology, success and latency
        QCOMPARE(topologyPaths, int(report.graph.edges.size()));
        // ipv6-only: the instances' IPv4 HTTP fails, so their links are drawn red.
        QVERIFY(failedEdges > 0);
    }

    void reportPdfHoldsTheSummaryAndTheTopFinding()
    {
        const Report report = ipv6OnlyToHealthy(true);
        QString error;
        const QByteArray pdf = reportToPdf(report, &error);
        QVERIFY2(pdf.startsWith("%PDF-"), qPrintable(error));
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("report.pdf"));
        QFile out(file);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(pdf);
        out.close();

        const QByteArray text = poppler(QStringLiteral("pdftotext"),
            { QStringLiteral("-enc"), QStringLiteral("UTF-8"), file, QStringLiteral("-") });
        QVERIFY2(!text.isEmpty(), "pdftotext could not read the PDF");
        const QString words = normalized(QString::fromUtf8(text));
        // The summary's first sentence and the top finding's title, as a reader sees them.
        const QString firstSentence = normalized(report.summary.section(QStringLiteral(". "), 0, 0));
        QVERIFY2(
            words.contains(firstSentence), qPrintable(firstSentence + QStringLiteral("\n---\n") + words.left(1500)));
        QVERIFY2(
            words.contains(normalized(report.diagnosis->findings.constFirst().title)), qPrintable(words.left(2000)));
        QVERIFY(words.contains(QStringLiteral("page1of")));
        QVERIFY(words.contains(normalized(report.run.startedAt.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm")))));

        QVERIFY(!poppler(QStringLiteral("pdftoppm"),
            { QStringLiteral("-r"), QStringLiteral("40"), QStringLiteral("-png"), file,
                dir.filePath(QStringLiteral("page")) })
                     .isEmpty());
        const QStringList pages = QDir(dir.path()).entryList({ QStringLiteral("page*.png") });
        QVERIFY2(pages.size() >= 2, qPrintable(pages.join(QLatin1Char(' '))));
        QImage first(dir.filePath(pages.constFirst()));
        QVERIFY(!first.isNull());
        int dark = 0;
        for (int y = 0; y < first.height(); y += 2) {
            for (int x = 0; x < first.width(); x += 2) {
                dark += qGray(first.pixel(x, y)) < 128;
            }
        }
        QVERIFY2(dark > 200, "the first page is blank");
    }

    void figuresAreImagesOfTheirSvg()
    {
        // The figures are images of the SVG the HTML inlines: a figure exists, has the graph's size.
        const Report report = ipv6OnlyToHealthy(true);
        const QImage topology = reportFigureImage(report, QStringLiteral("topology"), 1.0);
        QVERIFY(!topology.isNull());
        QCOMPARE(topology.width(), qRound(report.layout.bounds.width() + 24));
        QVERIFY(reportFigureImage(report, QStringLiteral("nonsense")).isNull());
        Report empty;
        QVERIFY(topologyFigureSvg(empty).isEmpty());
        QVERIFY(latencyChartSvg(empty).isEmpty());
    }
};

// The PDF needs fonts, so a QGuiApplication; offscreen, as no test here opens a window.
int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QGuiApplication app(argc, argv);
    TestReports test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_reports.moc"
