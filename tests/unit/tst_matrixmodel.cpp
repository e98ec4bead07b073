#include "matrixmodel.h"

#include <QAbstractItemModelTester>
#include <QColor>
#include <QSignalSpy>
#include <QTest>

using namespace nestscope;

namespace {

Sample sample(const QString &probe, const QString &target, SampleStatus status, double ms)
{
    Sample s;
    s.probeId = probe;
    s.target = target;
    s.status = status;
    s.latencyMs = ms;
    if (status != SampleStatus::Pass) {
        s.message = QStringLiteral("exit code 1, expected 0");
    }
    return s;
}

} // namespace

class TestMatrixModel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void liveFillingUnderTheModelTester()
    {
        MatrixModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reset({ QStringLiteral("true"), QStringLiteral("false") }, { QStringLiteral("runner") });
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), 1);
        QCOMPARE(model.headerData(1, Qt::Vertical).toString(), QStringLiteral("false"));
        QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), QStringLiteral("runner"));
        QVERIFY(!model.index(0, 0).data(MatrixModel::PassRateRole).isValid()); // nothing yet

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.addSample(sample(QStringLiteral("true"), QStringLiteral("runner"), SampleStatus::Pass, 4));
        model.addSample(sample(QStringLiteral("true"), QStringLiteral("runner"), SampleStatus::Pass, 8));
        model.addSample(sample(QStringLiteral("false"), QStringLiteral("runner"), SampleStatus::Fail, 2));
        QCOMPARE(changed.count(), 3);
        QCOMPARE(changed.last().at(0).toModelIndex(), model.index(1, 0));

        const QModelIndex pass = model.index(0, 0);
        const QModelIndex fail = model.index(1, 0);
        QCOMPARE(pass.data(MatrixModel::PassRateRole).toDouble(), 1.0);
        QCOMPARE(fail.data(MatrixModel::PassRateRole).toDouble(), 0.0);
        QCOMPARE(pass.data().toString(), QStringLiteral("6.0 ms"));
        // A failing cell is read by its pass count, not by how long it took to fail.
        QCOMPARE(fail.data().toString(), QStringLiteral("0/1 pass"));
        QCOMPARE(pass.data(MatrixModel::MedianRole).toDouble(), 6.0);
        QCOMPARE(pass.data(MatrixModel::ProbeIdRole).toString(), QStringLiteral("true"));
        QCOMPARE(pass.data(MatrixModel::TargetRole).toString(), QStringLiteral("runner"));
        QVERIFY(fail.data(Qt::ToolTipRole).toString().contains(QStringLiteral("last problem: exit code 1")));
        QVERIFY(pass.data(Qt::ToolTipRole).toString().contains(QStringLiteral("2 of 2 passed (100%)")));
        QVERIFY(pass.data(Qt::ToolTipRole).toString().contains(QStringLiteral("<br>p50 6.0 ms")));
        // A failing cell's times are how long it took to fail: the tooltip does not call them latencies.
        QVERIFY2(
            fail.data(Qt::ToolTipRole).toString().contains(QStringLiteral("time to finish, failures included: p50")),
            qPrintable(fail.data(Qt::ToolTipRole).toString()));
        const QColor green = pass.data(Qt::BackgroundRole).value<QColor>();
        const QColor red = fail.data(Qt::BackgroundRole).value<QColor>();
        QVERIFY(green.green() > green.red());
        QVERIFY(red.red() > red.green());
        QCOMPARE(fail.data(MatrixModel::CellRole).value<MatrixCell>().failed, 1);
    }

    void splitByFamilyPutsIpv4AndIpv6SideBySide()
    {
        MatrixModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QString http4 = QStringLiteral("http-ipv4");
        const QString http6 = QStringLiteral("http-ipv6");
        const QString dns = QStringLiteral("dns-a");
        const QString addr4 = QStringLiteral("v4addr"); // no family word: the plan says IPv4
        const QString vm1 = QStringLiteral("vm1");
        const QString runner = QStringLiteral("runner");
        model.setProbeFamilies({ { addr4, Family::IPv4 } });
        model.reset({ http4, http6, dns, addr4 }, { runner, vm1 });
        model.addSample(sample(http4, vm1, SampleStatus::Fail, 3));
        model.addSample(sample(http6, vm1, SampleStatus::Pass, 7));
        model.addSample(sample(dns, runner, SampleStatus::Pass, 1));
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.columnCount(), 2);

        model.setSplitByFamily(true);
        QVERIFY(model.splitByFamily());
        // rows: http (both families), dns-a, v4addr; columns: per target plain, IPv4, IPv6
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.headerData(0, Qt::Vertical).toString(), QStringLiteral("http"));
        QCOMPARE(model.headerData(1, Qt::Vertical).toString(), dns);
        QCOMPARE(model.headerData(2, Qt::Vertical).toString(), addr4);
        QCOMPARE(model.columnCount(), 6);
        QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), runner);
        QCOMPARE(model.headerData(4, Qt::Horizontal).toString(), QStringLiteral("vm1 · IPv4"));
        QCOMPARE(model.headerData(5, Qt::Horizontal).toString(), QStringLiteral("vm1 · IPv6"));

        const QModelIndex vm1v4 = model.index(0, 4);
        const QModelIndex vm1v6 = model.index(0, 5);
        QCOMPARE(vm1v4.data(MatrixModel::ProbeIdRole).toString(), http4);
        QCOMPARE(vm1v4.data(MatrixModel::TargetRole).toString(), vm1);
        QCOMPARE(vm1v4.data(MatrixModel::PassRateRole).toDouble(), 0.0);
        QCOMPARE(vm1v6.data(MatrixModel::ProbeIdRole).toString(), http6);
        QCOMPARE(vm1v6.data(MatrixModel::PassRateRole).toDouble(), 1.0);
        QCOMPARE(model.index(2, 1).data(MatrixModel::ProbeIdRole).toString(), addr4);
        // no probe is both http and family-less: that cell is empty and cannot be selected
        QVERIFY(!model.index(0, 3).data(MatrixModel::ProbeIdRole).isValid());
        QVERIFY(!(model.flags(model.index(0, 3)) & Qt::ItemIsSelectable));
        QVERIFY(model.flags(vm1v4) & Qt::ItemIsSelectable);

        // live samples land in the split cell
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.addSample(sample(http4, vm1, SampleStatus::Pass, 5));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.last().at(0).toModelIndex(), vm1v4);
        QCOMPARE(vm1v4.data(MatrixModel::PassRateRole).toDouble(), 0.5);
        // a new target grows the split columns
        model.addSample(sample(http6, QStringLiteral("vm2"), SampleStatus::Pass, 5));
        QCOMPARE(model.columnCount(), 9);
        QCOMPARE(model.headerData(8, Qt::Horizontal).toString(), QStringLiteral("vm2 · IPv6"));

        const QString md = model.toMarkdown();
        QVERIFY2(md.startsWith(QStringLiteral("| probe | runner | runner · IPv4 |")), qPrintable(md));
        QVERIFY2(md.contains(QStringLiteral("| http | – | – | – | – | **1/2 pass**")), qPrintable(md));
        QCOMPARE(model.toMarkdown({ 1 }).count(QLatin1Char('\n')), 3); // header, rule, dns-a

        model.setSplitByFamily(false);
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.columnCount(), 3);
        QCOMPARE(model.index(0, 1).data(MatrixModel::ProbeIdRole).toString(), http4);
    }

    void splitNeverHidesAProbe()
    {
        // dns-a (IPv4 by its record) and dns-ipv4 both want the cell "dns" x IPv4: neither is lost.
        MatrixModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setProbeFamilies({ { QStringLiteral("dns-a"), Family::IPv4 } });
        model.reset({ QStringLiteral("dns-a"), QStringLiteral("dns-ipv4") }, { QStringLiteral("runner") });
        model.setSplitByFamily(true);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.headerData(0, Qt::Vertical).toString(), QStringLiteral("dns"));
        QCOMPARE(model.headerData(1, Qt::Vertical).toString(), QStringLiteral("dns-ipv4"));
        QCOMPARE(model.index(0, 0).data(MatrixModel::ProbeIdRole).toString(), QStringLiteral("dns-a"));
        QCOMPARE(model.index(1, 0).data(MatrixModel::ProbeIdRole).toString(), QStringLiteral("dns-ipv4"));
        QVERIFY(model.toMarkdown().contains(QStringLiteral("| dns-ipv4 |")));
    }

    void familyWords()
    {
        QCOMPARE(MatrixModel::familyBaseName(QStringLiteral("https-ipv6"), Family::IPv6), QStringLiteral("https"));
        QCOMPARE(MatrixModel::familyBaseName(QStringLiteral("ipv4-default-route"), Family::IPv4),
            QStringLiteral("default-route"));
        QCOMPARE(MatrixModel::familyBaseName(QStringLiteral("ipv4"), Family::IPv4), QStringLiteral("ipv4"));
        QCOMPARE(MatrixModel::familyBaseName(QStringLiteral("dns-aaaa"), Family::IPv6), QStringLiteral("dns"));
        QCOMPARE(MatrixModel::familyBaseName(QStringLiteral("dns-a"), Family::IPv4), QStringLiteral("dns"));
        QCOMPARE(MatrixModel::familyBaseName(QStringLiteral("dns-a"), Family::IPv6), QStringLiteral("dns-a"));
        MatrixModel model;
        QCOMPARE(model.familyOf(QStringLiteral("tcp-IPv6")), Family::IPv6);
        QCOMPARE(model.familyOf(QStringLiteral("registry")), Family::Any);
        model.setProbeFamilies({ { QStringLiteral("registry"), Family::IPv4 } });
        QCOMPARE(model.familyOf(QStringLiteral("registry")), Family::IPv4);
    }

    void markdownKeepsWholeMessages()
    {
        MatrixModel model;
        model.reset({ QStringLiteral("http") }, { QStringLiteral("vm1") });
        Sample s = sample(QStringLiteral("http"), QStringLiteral("vm1"), SampleStatus::Fail, 3);
        s.message = QStringLiteral("curl: (7) Failed to connect | ") + QString(200, QLatin1Char('y'))
            + QStringLiteral("\nsecond line END");
        model.addSample(s);
        const QString md = model.toMarkdown();
        QVERIFY2(md.contains(QStringLiteral("Failed to connect \\| ") + QString(200, QLatin1Char('y'))
                     + QStringLiteral(" second line END |")),
            qPrintable(md));
        QVERIFY(!md.contains(QStringLiteral("…")));
    }

    void growsRowsAndColumns()
    {
        MatrixModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reset({ QStringLiteral("a") }, { QStringLiteral("runner") });
        QSignalSpy rows(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy columns(&model, &QAbstractItemModel::columnsInserted);
        model.addSample(sample(QStringLiteral("b"), QStringLiteral("runner"), SampleStatus::Pass, 1));
        model.addSample(sample(QStringLiteral("a"), QStringLiteral("vm1"), SampleStatus::Fail, 1));
        model.addSample(sample(QStringLiteral("c"), QStringLiteral("vm2"), SampleStatus::Pass, 1));
        QCOMPARE(rows.count(), 1);
        QCOMPARE(columns.count(), 1);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), 3);
        QCOMPARE(model.index(2, 2).data(MatrixModel::PassRateRole).toDouble(), 1.0);
        QCOMPARE(model.index(0, 1).data(MatrixModel::PassRateRole).toDouble(), 0.0);
    }

    void formatting_data()
    {
        QTest::addColumn<double>("ms");
        QTest::addColumn<QString>("text");
        QTest::newRow("sub-ms") << 0.25 << "0.3 ms";
        // Below a tenth of a millisecond "0.0 ms" would read as "not measured" (issue 14).
        QTest::newRow("tens of microseconds") << 0.03 << QStringLiteral("30 µs");
        QTest::newRow("a tenth") << 0.1 << "0.1 ms";
        QTest::newRow("sub-microsecond") << 0.0002 << QStringLiteral("< 1 µs");
        QTest::newRow("zero") << 0.0 << "0.0 ms";
        QTest::newRow("ms") << 41.4 << "41 ms";
        QTest::newRow("seconds") << 4812.0 << "4.81 s";
        QTest::newRow("long") << 30000.0 << "30.0 s";
    }

    void formatting()
    {
        QFETCH(double, ms);
        QFETCH(QString, text);
        QCOMPARE(MatrixModel::formatMs(ms), text);
    }
};

QTEST_GUILESS_MAIN(TestMatrixModel)
#include "tst_matrixmodel.moc"
