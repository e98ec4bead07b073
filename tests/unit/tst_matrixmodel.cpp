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
        QCOMPARE(pass.data(MatrixModel::MedianRole).toDouble(), 6.0);
        QCOMPARE(pass.data(MatrixModel::ProbeIdRole).toString(), QStringLiteral("true"));
        QCOMPARE(pass.data(MatrixModel::TargetRole).toString(), QStringLiteral("runner"));
        QVERIFY(fail.data(Qt::ToolTipRole).toString().contains(QStringLiteral("last problem: exit code 1")));
        QVERIFY(pass.data(Qt::ToolTipRole).toString().contains(QStringLiteral("2 of 2 passed (100%)")));
        const QColor green = pass.data(Qt::BackgroundRole).value<QColor>();
        const QColor red = fail.data(Qt::BackgroundRole).value<QColor>();
        QVERIFY(green.green() > green.red());
        QVERIFY(red.red() > red.green());
        QCOMPARE(fail.data(MatrixModel::CellRole).value<MatrixCell>().failed, 1);
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
