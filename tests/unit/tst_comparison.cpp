#include "results/comparison.h"
#include "results/runjson.h"
#include "results/runstats.h"

#include <QFile>
#include <QTest>

using namespace nestscope;

namespace {

Sample sample(SampleStatus status, double ms, const QString &probe = QStringLiteral("http"),
    const QString &target = QStringLiteral("vm1"))
{
    Sample s;
    s.probeId = probe;
    s.target = target;
    s.status = status;
    s.latencyMs = ms;
    return s;
}

/// One cell from a compact description: "p:40 p:42 f:5000" = pass 40 ms, pass 42 ms, fail 5 s.
Matrix cell(const QString &spec)
{
    Matrix m({ QStringLiteral("http") }, { QStringLiteral("vm1") });
    for (const QString &item : spec.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        const auto parts = item.split(QLatin1Char(':'));
        const auto status = parts.at(0) == QLatin1String("p") ? SampleStatus::Pass
            : parts.at(0) == QLatin1String("t")               ? SampleStatus::Timeout
                                                              : SampleStatus::Fail;
        m.add(sample(status, parts.at(1).toDouble()));
    }
    return m;
}

Run loadFixture(const QString &name)
{
    QFile f(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/") + name);
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read fixture %s", qPrintable(name));
    }
    auto run = runFromJson(f.readAll(), name);
    if (!run) {
        qFatal("%s", qPrintable(run.error().toString()));
    }
    return *run;
}

} // namespace

Q_DECLARE_METATYPE(nestscope::CellChange)

class TestComparison : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void classifiesACell_data()
    {
        QTest::addColumn<QString>("before");
        QTest::addColumn<QString>("after");
        QTest::addColumn<CellChange>("change");
        QTest::newRow("fixed") << "f:1 f:1"
                               << "p:40 p:41" << CellChange::Fixed;
        QTest::newRow("fixed from flaky") << "p:40 t:5000"
                                          << "p:40 p:41" << CellChange::Fixed;
        QTest::newRow("broke") << "p:40"
                               << "p:40 f:2" << CellChange::Broke;
        QTest::newRow("still failing") << "f:5000"
                                       << "t:10" << CellChange::StillFailing;
        QTest::newRow("still flaky") << "p:40 f:3"
                                     << "f:3 p:40" << CellChange::StillFailing;
        QTest::newRow("slower") << "p:40 p:40"
                                << "p:400 p:400" << CellChange::Slower;
        QTest::newRow("faster") << "p:4812 p:4812"
                                << "p:41 p:41" << CellChange::Faster;
        QTest::newRow("noise below the ms floor") << "p:0.4"
                                                  << "p:0.9" << CellChange::Same;
        QTest::newRow("small ratio of a slow cell") << "p:10000"
                                                    << "p:10200" << CellChange::Same;
        QTest::newRow("added") << ""
                               << "p:1" << CellChange::Added;
        QTest::newRow("removed") << "p:1"
                                 << "" << CellChange::Removed;
        QTest::newRow("empty in both") << ""
                                       << "" << CellChange::Same;
    }

    void classifiesACell()
    {
        QFETCH(QString, before);
        QFETCH(QString, after);
        QFETCH(CellChange, change);
        const Comparison c = Comparison::compare(cell(before), cell(after));
        QCOMPARE(c.rowCount(), 1);
        QCOMPARE(c.columnCount(), 1);
        QCOMPARE(toText(c.cell(0, 0).change), toText(change));
    }

    void unionOfAxesKeepsTheBeforeOrder()
    {
        Matrix before({ QStringLiteral("dns"), QStringLiteral("http") }, { QStringLiteral("runner") });
        Matrix after(
            { QStringLiteral("http"), QStringLiteral("icmp") }, { QStringLiteral("vm1"), QStringLiteral("runner") });
        after.add(sample(SampleStatus::Pass, 3, QStringLiteral("icmp"), QStringLiteral("vm1")));
        const Comparison c = Comparison::compare(before, after);
        QCOMPARE(c.probeIds(), (QStringList { QStringLiteral("dns"), QStringLiteral("http"), QStringLiteral("icmp") }));
        QCOMPARE(c.targets(), (QStringList { QStringLiteral("runner"), QStringLiteral("vm1") }));
        QCOMPARE(c.cell(2, 1).change, CellChange::Added);
        QCOMPARE(c.count(CellChange::Added), 1);
        QCOMPARE(c.count(CellChange::Same), 5);
    }

    void summaryNamesTheBiggestLatencyChange()
    {
        Matrix before({ QStringLiteral("HTTP") }, { QStringLiteral("runner"), QStringLiteral("vm1") });
        Matrix after = before;
        for (int i = 0; i < 6; ++i) {
            const QString probe = QStringLiteral("p%1").arg(i);
            before.add(sample(SampleStatus::Fail, 1, probe, QStringLiteral("runner")));
            after.add(sample(SampleStatus::Pass, 5, probe, QStringLiteral("runner")));
        }
        before.add(sample(SampleStatus::Pass, 4812, QStringLiteral("HTTP"), QStringLiteral("vm1")));
        after.add(sample(SampleStatus::Pass, 41, QStringLiteral("HTTP"), QStringLiteral("vm1")));
        const Comparison c = Comparison::compare(before, after);
        QCOMPARE(c.summary(),
            QStringLiteral("6 cells fixed, 0 broke, 0 still failing, 1 faster, HTTP p50 on vm1 4,812 ms -> 41 ms"));
        QCOMPARE(c.largestLatencyChange()->probeId, QStringLiteral("HTTP"));

        const Comparison same = Comparison::compare(before, before);
        QCOMPARE(same.summary(), QStringLiteral("0 cells fixed, 0 broke, 6 still failing"));
        QCOMPARE(same.count(CellChange::StillFailing), 6);
        QVERIFY(!same.largestLatencyChange());
    }

    void recordedRunsBeforeAndAfterTheFix()
    {
        // Recorded with the real CLI by tests/data/runs/record.sh (loopback servers only).
        const Run before = loadFixture(QStringLiteral("before.json"));
        const Run after = loadFixture(QStringLiteral("after.json"));
        const Comparison c = Comparison::compare(Matrix::fromRun(before), Matrix::fromRun(after));
        auto changeOf = [&](const QString &probe) {
            return c.cell(int(c.probeIds().indexOf(probe)), int(c.targets().indexOf(QStringLiteral("runner")))).change;
        };
        QCOMPARE(changeOf(QStringLiteral("http-service")), CellChange::Fixed);
        QCOMPARE(changeOf(QStringLiteral("http-legacy")), CellChange::Broke);
        QCOMPARE(changeOf(QStringLiteral("http-slow")), CellChange::Faster);
        QCOMPARE(changeOf(QStringLiteral("shell-true")), CellChange::Same);
        QCOMPARE(c.summary(),
            QStringLiteral(
                "1 cell fixed, 1 broke, 0 still failing, 1 faster, http-slow p50 on runner 1,502 ms -> 7.1 ms"));
        // Run again with nothing changed: the failing cell is still failing, and says so.
        const Comparison again = Comparison::compare(Matrix::fromRun(before), Matrix::fromRun(before));
        QCOMPARE(again.cell(int(again.probeIds().indexOf(QStringLiteral("http-service"))), 0).change,
            CellChange::StillFailing);
        QCOMPARE(again.summary(), QStringLiteral("0 cells fixed, 0 broke, 1 still failing"));

        // The same runs swapped: every verdict turns around.
        const Comparison back = Comparison::compare(Matrix::fromRun(after), Matrix::fromRun(before));
        QCOMPARE(back.count(CellChange::Fixed), 1);
        QCOMPARE(back.count(CellChange::Broke), 1);
        QCOMPARE(back.count(CellChange::Slower), 1);
    }

    void chartFiguresLeaveFailuresOut()
    {
        // Two passes, a fast failure, a timeout at the plan's limit and a skip: the latency is the
        // passes', the rest is counted by outcome (issue 14: "p50 79 ms" was the time it took to fail).
        Run run;
        const QString http = QStringLiteral("http");
        const QString vm1 = QStringLiteral("vm1");
        auto add = [&](SampleStatus status, double ms, int repetition, double dnsMs) {
            Sample s = sample(status, ms, http, vm1);
            s.repetition = repetition;
            s.phasesMs.insert(QStringLiteral("dns"), dnsMs);
            s.message = status == SampleStatus::Pass ? QString() : QStringLiteral("why %1").arg(repetition);
            run.samples << s;
        };
        add(SampleStatus::Timeout, 10000, 3, 9000);
        add(SampleStatus::Pass, 10, 0, 1);
        add(SampleStatus::Fail, 79, 2, 70);
        add(SampleStatus::Pass, 12, 1, 3);
        add(SampleStatus::Skipped, 0, 4, 0);

        const LatencyStats st = runstats::latency(run, http, vm1);
        QCOMPARE(st.count, 2);
        QCOMPARE(st.min, 10.0);
        QCOMPARE(st.median, 11.0);
        QCOMPARE(st.max, 12.0);
        const OutcomeCounts o = runstats::outcomes(run, http, vm1);
        QCOMPARE(o.passed, 2);
        QCOMPARE(o.failed, 1);
        QCOMPARE(o.timedOut, 1);
        QCOMPARE(o.errors, 0);
        QCOMPARE(o.skipped, 1);
        QCOMPARE(o.ran(), 4);
        QCOMPARE(o.toText(), QStringLiteral("2 passed, 1 failed, 1 timed out, 1 skipped"));
        QCOMPARE(runstats::outcomes(run, QStringLiteral("other"), vm1).toText(), QStringLiteral("no samples"));
        QCOMPARE(runstats::successRate(run, http, vm1), 0.5);
        QCOMPARE(runstats::meanPhases(run, http, vm1).value(QStringLiteral("dns")), 2.0);

        const QList<QPointF> line = runstats::timeline(run, http, vm1);
        QCOMPARE(line, (QList<QPointF> { QPointF(1, 10), QPointF(2, 12) }));
        const QList<OutcomePoint> problems = runstats::timelineProblems(run, http, vm1);
        QCOMPARE(problems.size(), 3);
        QCOMPARE(problems.at(0).repetition, 3);
        QCOMPARE(problems.at(0).status, SampleStatus::Fail);
        QCOMPARE(problems.at(0).elapsedMs, 79.0);
        QCOMPARE(problems.at(0).message, QStringLiteral("why 2"));
        QCOMPARE(problems.at(1).status, SampleStatus::Timeout);
        QCOMPARE(problems.at(2).status, SampleStatus::Skipped);

        // Only failures: no latency at all, rather than the time it took to fail.
        Run failing;
        failing.samples << sample(SampleStatus::Fail, 79) << sample(SampleStatus::Fail, 81);
        QCOMPARE(runstats::latency(failing, http, vm1).count, 0);
        QVERIFY(runstats::timeline(failing, http, vm1).isEmpty());
    }

    void chartFiguresOfARecordedRun()
    {
        const Run before = loadFixture(QStringLiteral("before.json"));
        const QString runner = QStringLiteral("runner");
        const LatencyStats slow = runstats::latency(before, QStringLiteral("http-slow"), runner);
        QCOMPARE(slow.count, 3);
        QVERIFY(slow.min <= slow.q1 && slow.q1 <= slow.median && slow.median <= slow.q3 && slow.q3 <= slow.max);
        QVERIFY(slow.median > 1500 && slow.median < 1510);
        QCOMPARE(runstats::successRate(before, QStringLiteral("http-service"), runner), 0.0);
        QCOMPARE(runstats::successRate(before, QStringLiteral("http-legacy"), runner), 1.0);
        QCOMPARE(runstats::successRate(before, QStringLiteral("nothing"), runner), -1.0);
        const auto phases = runstats::meanPhases(before, QStringLiteral("http-slow"), runner);
        QVERIFY(!phases.contains(QStringLiteral("total")));
        QVERIFY(phases.value(QStringLiteral("first_byte")) > 1400); // the server's delay is before the first byte
        QVERIFY(runstats::meanPhases(before, QStringLiteral("shell-true"), runner).isEmpty());
        const auto line = runstats::timeline(before, QStringLiteral("http-slow"), runner);
        QCOMPARE(line.size(), 3);
        QCOMPARE(line.first().x(), 1.0);
        QCOMPARE(line.last().x(), 3.0);
        QCOMPARE(runstats::phaseOrder({ QStringLiteral("total"), QStringLiteral("tls"), QStringLiteral("zeta"),
                     QStringLiteral("dns"), QStringLiteral("first_byte"), QStringLiteral("connect") }),
            (QStringList { QStringLiteral("dns"), QStringLiteral("connect"), QStringLiteral("tls"),
                QStringLiteral("first_byte"), QStringLiteral("zeta") }));
    }
};

QTEST_GUILESS_MAIN(TestComparison)
#include "tst_comparison.moc"
