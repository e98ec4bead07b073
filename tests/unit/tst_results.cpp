#include "results/matrix.h"
#include "results/runjson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace nestscope;

namespace {

Sample sample(const QString &probe, const QString &target, SampleStatus status, double ms, const QString &message = {})
{
    Sample s;
    s.probeId = probe;
    s.target = target;
    s.status = status;
    s.latencyMs = ms;
    s.message = message;
    return s;
}

} // namespace

class TestResults : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void percentiles()
    {
        QCOMPARE(percentile({}, 0.5), 0.0);
        QCOMPARE(percentile({ 7 }, 0.95), 7.0);
        QCOMPARE(percentile({ 1, 2, 3, 4 }, 0.5), 2.5);
        QCOMPARE(percentile({ 10, 20, 30, 40, 50 }, 0.5), 30.0);
        QCOMPARE(percentile({ 10, 20, 30, 40, 50 }, 0.95), 48.0);
        QCOMPARE(percentile({ 10, 20, 30, 40, 50 }, 1.0), 50.0);
    }

    void cellAggregatesRepetitions()
    {
        Matrix m(
            { QStringLiteral("dns"), QStringLiteral("http") }, { QStringLiteral("runner"), QStringLiteral("vm1") });
        m.add(sample(QStringLiteral("http"), QStringLiteral("vm1"), SampleStatus::Pass, 30));
        m.add(sample(
            QStringLiteral("http"), QStringLiteral("vm1"), SampleStatus::Timeout, 5000, QStringLiteral("no answer")));
        m.add(sample(QStringLiteral("http"), QStringLiteral("vm1"), SampleStatus::Pass, 10));
        m.add(sample(
            QStringLiteral("http"), QStringLiteral("vm1"), SampleStatus::Skipped, 0, QStringLiteral("cancelled")));
        const MatrixCell &c = m.cell(1, 1);
        QCOMPARE(c.total, 3);
        QCOMPARE(c.passed, 2);
        QCOMPARE(c.timeouts, 1);
        QCOMPARE(c.skipped, 1);
        QCOMPARE(c.medianMs, 30.0);
        QCOMPARE(c.minMs, 10.0);
        QCOMPARE(c.maxMs, 5000.0);
        QCOMPARE(c.lastProblem, QStringLiteral("cancelled"));
        QVERIFY(qFuzzyCompare(c.passRate(), 2.0 / 3.0));
        QVERIFY(m.cell(0, 0).isEmpty());
        QCOMPARE(m.cell(0, 0).passRate(), 0.0);
    }

    void axesGrowAndKeepCells()
    {
        Matrix m({ QStringLiteral("a") }, { QStringLiteral("runner") });
        m.add(sample(QStringLiteral("a"), QStringLiteral("runner"), SampleStatus::Pass, 1));
        const auto [row, column] = m.add(sample(QStringLiteral("b"), QStringLiteral("vm2"), SampleStatus::Fail, 2));
        QCOMPARE(row, 1);
        QCOMPARE(column, 1);
        QCOMPARE(m.rowCount(), 2);
        QCOMPARE(m.columnCount(), 2);
        QCOMPARE(m.cell(0, 0).passed, 1);
        QCOMPARE(m.cell(1, 1).failed, 1);
        QVERIFY(m.cell(0, 1).isEmpty());
        QVERIFY(m.cell(1, 0).isEmpty());
    }

    void jsonRoundTripKeepsEverything()
    {
        Run run;
        run.planName = QStringLiteral("P");
        run.planFile = QStringLiteral("/tmp/p.yaml");
        run.planText = "name: P\nprobes: []\n";
        run.variables.insert(QStringLiteral("dns_name"), QStringLiteral("www.lab.test"));
        run.host = QStringLiteral("local");
        run.topologyJson = QByteArrayLiteral("{\"hostname\":\"lab-runner\",\"instances\":[{\"name\":\"vm1\"}]}");
        run.probeIds = { QStringLiteral("a") };
        run.targets = { QStringLiteral("runner") };
        run.startedAt = QDateTime::fromString(QStringLiteral("2026-11-28T10:00:00.123Z"), Qt::ISODateWithMs);
        run.finishedAt = run.startedAt.addSecs(3);
        Sample s = sample(
            QStringLiteral("a"), QStringLiteral("runner"), SampleStatus::Fail, 12.5, QStringLiteral("exit code 1"));
        s.exitCode = 1;
        s.command = QStringLiteral("printf '\\377'; exit 1");
        s.stdOut = QByteArray("\xff\xfe\x00 binary", 9);
        s.stdErr = QByteArray("text ✓\n");
        s.stdErrTruncated = true;
        s.phasesMs.insert(QStringLiteral("dns"), 1.5);
        s.startedAt = run.startedAt;
        run.samples = { s };

        const QByteArray json = runToJson(run);
        const QJsonObject o = QJsonDocument::fromJson(json).object();
        const QJsonObject js = o.value(QStringLiteral("samples")).toArray().at(0).toObject();
        QVERIFY(js.contains(QStringLiteral("stdout_base64"))); // not UTF-8: kept as bytes
        QVERIFY(!js.contains(QStringLiteral("stdout")));
        QCOMPARE(js.value(QStringLiteral("stderr")).toString(), QStringLiteral("text ✓\n"));
        QCOMPARE(o.value(QStringLiteral("summary")).toObject().value(QStringLiteral("fail")).toInt(), 1);

        const auto back = runFromJson(json);
        QVERIFY(back.ok());
        const Sample &b = back->samples.at(0);
        QCOMPARE(b.stdOut, s.stdOut);
        QCOMPARE(b.stdErr, s.stdErr);
        QVERIFY(b.stdErrTruncated);
        QVERIFY(!b.stdOutTruncated);
        QCOMPARE(b.status, SampleStatus::Fail);
        QCOMPARE(b.latencyMs, 12.5);
        QCOMPARE(b.exitCode, 1);
        QCOMPARE(b.command, s.command);
        QCOMPARE(b.phasesMs, s.phasesMs);
        QCOMPARE(b.startedAt, s.startedAt);
        QCOMPARE(back->planName, run.planName);
        QCOMPARE(back->planText, run.planText);
        QCOMPARE(back->variables, run.variables);
        QCOMPARE(back->topologyJson, run.topologyJson);
        QCOMPARE(o.value(QStringLiteral("topology")).toObject().value(QStringLiteral("hostname")).toString(),
            QStringLiteral("lab-runner"));
        QCOMPARE(back->probeIds, run.probeIds);
        QCOMPARE(back->finishedAt, run.finishedAt);
    }

    void jsonErrorsSayWhere()
    {
        const auto badTopology
            = runFromJson(QByteArrayLiteral("{\"format\": \"nestscope-run\", \"version\": 1, \"topology\": [1, 2]}"),
                QStringLiteral("run.json"));
        QVERIFY(!badTopology.ok());
        QVERIFY2(badTopology.error().toString().contains(QStringLiteral("topology")),
            qPrintable(badTopology.error().toString()));
        const auto bad = runFromJson("{\n  \"format\": \"nestscope-run\",\n  oops\n}", QStringLiteral("r.json"));
        QVERIFY(!bad.ok());
        QCOMPARE(bad.error().line, 3);
        QVERIFY(bad.error().toString().startsWith(QStringLiteral("r.json:3:")));
        const auto other = runFromJson("{\"format\": \"something-else\"}");
        QVERIFY(!other.ok());
        QVERIFY(other.error().message.contains(QStringLiteral("not a Nestscope run")));
        const auto future = runFromJson("{\"format\": \"nestscope-run\", \"version\": 99}");
        QVERIFY(!future.ok());
        QVERIFY(future.error().message.contains(QStringLiteral("version 99")));
        const auto noStatus = runFromJson(
            R"({"format": "nestscope-run", "version": 1, "samples": [{"probe": "a", "target": "runner", "status": "great"}]})");
        QVERIFY(!noStatus.ok());
        QVERIFY(noStatus.error().message.contains(QStringLiteral("sample 0")));
    }
};

QTEST_GUILESS_MAIN(TestResults)
#include "tst_results.moc"
