#include "comparisonmodel.h"
#include "matrixfiltermodel.h"
#include "matrixmodel.h"
#include "results/runjson.h"
#include "runlistmodel.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QTest>

using namespace nestscope;

namespace {

QByteArray fixture(const QString &name)
{
    QFile f(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/") + name);
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read fixture %s", qPrintable(name));
    }
    return f.readAll();
}

Matrix fixtureMatrix(const QString &name)
{
    return Matrix::fromRun(*runFromJson(fixture(name), name));
}

} // namespace

class TestResultModels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void runListFollowsTheStore()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))).ok());
        RunListModel model(&store);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.columnCount(), int(RunListModel::ColumnCount));

        const qint64 before = *store.importJson(fixture(QStringLiteral("before.json")), QStringLiteral("before.json"));
        const qint64 after = *store.importJson(fixture(QStringLiteral("after.json")), QStringLiteral("after.json"));
        QCOMPARE(model.rowCount(), 2);
        const int row = model.rowOf(before);
        QVERIFY(row >= 0);
        QCOMPARE(model.index(row, RunListModel::Plan).data().toString(), QStringLiteral("Before and after"));
        QCOMPARE(model.index(row, RunListModel::Status).data().toString(), QStringLiteral("finished"));
        QCOMPARE(model.index(row, RunListModel::Outcome).data().toString(), QStringLiteral("9 / 12 pass"));
        QCOMPARE(model.index(row, RunListModel::Host).data().toString(), QStringLiteral("local"));
        QCOMPARE(model.index(row, RunListModel::Name).data(RunListModel::RunIdRole).toLongLong(), before);

        // Editing writes through to the store.
        QVERIFY(model.setData(model.index(row, RunListModel::Name), QStringLiteral("ipv6-only bridge")));
        QVERIFY(model.setData(model.index(row, RunListModel::Tags), QStringLiteral("before, lab")));
        QVERIFY(model.setData(model.index(row, RunListModel::Notes), QStringLiteral("no IPv4 subnet\nsecond line")));
        QVERIFY(!model.setData(model.index(row, RunListModel::Plan), QStringLiteral("not editable")));
        QCOMPARE(store.runInfo(before)->name, QStringLiteral("ipv6-only bridge"));
        QCOMPARE(store.runInfo(before)->tags, (QStringList { QStringLiteral("before"), QStringLiteral("lab") }));
        const int edited = model.rowOf(before);
        QCOMPARE(model.index(edited, RunListModel::Name).data().toString(), QStringLiteral("ipv6-only bridge"));
        QCOMPARE(model.index(edited, RunListModel::Tags).data().toString(), QStringLiteral("before, lab"));
        QCOMPARE(model.index(edited, RunListModel::Notes).data().toString(), QStringLiteral("no IPv4 subnet"));
        QCOMPARE(model.index(edited, RunListModel::Notes).data(Qt::EditRole).toString(),
            QStringLiteral("no IPv4 subnet\nsecond line"));
        QVERIFY(model.flags(model.index(edited, RunListModel::Tags)) & Qt::ItemIsEditable);
        QVERIFY(!(model.flags(model.index(edited, RunListModel::Host)) & Qt::ItemIsEditable));

        // Search over every column: name, tags and notes included.
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setFilterKeyColumn(-1);
        proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
        QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.setFilterFixedString(QStringLiteral("IPV6-only"));
        QCOMPARE(proxy.rowCount(), 1);
        proxy.setFilterFixedString(QStringLiteral("lab"));
        QCOMPARE(proxy.rowCount(), 1);
        proxy.setFilterFixedString(QStringLiteral("before and after"));
        QCOMPARE(proxy.rowCount(), 2);

        // A live run: its counters follow the writer's commits.
        RunHeader h;
        h.planName = QStringLiteral("live");
        const qint64 live = *store.beginRun(h);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.index(model.rowOf(live), RunListModel::Status).data().toString(), QStringLiteral("running"));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        Sample s;
        s.probeId = QStringLiteral("p");
        s.target = QStringLiteral("runner");
        s.status = SampleStatus::Pass;
        store.addSample(live, s);
        QTRY_COMPARE_WITH_TIMEOUT(model.index(model.rowOf(live), RunListModel::Outcome).data().toString(),
            QStringLiteral("1 / 1 pass"), 30000);
        QVERIFY(!changed.isEmpty());

        QVERIFY(store.deleteRun(after).ok());
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.rowOf(after), -1);
    }

    void matrixAsMarkdown()
    {
        MatrixModel model;
        model.setMatrix(fixtureMatrix(QStringLiteral("before.json")));
        const QString md = model.toMarkdown();
        const QStringList lines = md.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 2 + 4);
        QCOMPARE(lines.at(0), QStringLiteral("| probe | runner |"));
        QCOMPARE(lines.at(1), QStringLiteral("|---|---|"));
        QVERIFY2(md.contains(QStringLiteral("| http-slow | 1.50 s, 3/3 pass |")), qPrintable(md));
        QVERIFY2(md.contains(QStringLiteral("| http-service | **0/3 pass**: no HTTP response (curl exit 7)")),
            qPrintable(md));

        // A pipe in a name or message must not open a new column.
        Matrix m({ QStringLiteral("a|b") }, { QStringLiteral("runner") });
        Sample s;
        s.probeId = QStringLiteral("a|b");
        s.target = QStringLiteral("runner");
        s.status = SampleStatus::Fail;
        s.message = QStringLiteral("grep x | wc\nfailed");
        m.add(s);
        model.setMatrix(m);
        QCOMPARE(model.toMarkdown().split(QLatin1Char('\n')).at(2),
            QStringLiteral("| a\\|b | **0/1 pass**: grep x \\| wc failed |"));
    }

    void matrixFilteredByStatus()
    {
        MatrixModel model;
        MatrixFilterModel filter;
        filter.setSourceModel(&model);
        QAbstractItemModelTester tester(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setMatrix(fixtureMatrix(QStringLiteral("before.json")));
        auto shown = [&] {
            QStringList rows;
            for (int r = 0; r < filter.rowCount(); ++r) {
                rows << filter.headerData(r, Qt::Vertical).toString();
            }
            return rows;
        };
        QCOMPARE(shown().size(), 4);
        filter.setShow(MatrixFilterModel::Show::Problems);
        QCOMPARE(shown(), QStringList { QStringLiteral("http-service") });
        filter.setShow(MatrixFilterModel::Show::Failing);
        QCOMPARE(shown(), QStringList { QStringLiteral("http-service") });

        // Live: a timeout on a passing probe makes it a problem, not (yet) failing.
        Sample s;
        s.probeId = QStringLiteral("shell-true");
        s.target = QStringLiteral("runner");
        s.status = SampleStatus::Timeout;
        s.message = QStringLiteral("no answer in 5 s");
        model.addSample(s);
        QCOMPARE(shown(), QStringList { QStringLiteral("http-service") });
        filter.setShow(MatrixFilterModel::Show::Problems);
        QCOMPARE(shown(), (QStringList { QStringLiteral("http-service"), QStringLiteral("shell-true") }));
        filter.setShow(MatrixFilterModel::Show::All);
        QCOMPARE(shown().size(), 4);
    }

    void comparisonOfRecordedRuns()
    {
        ComparisonModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setComparison(Comparison::compare(
            fixtureMatrix(QStringLiteral("before.json")), fixtureMatrix(QStringLiteral("after.json"))));
        QCOMPARE(model.columnCount(), 1);
        QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), QStringLiteral("runner"));
        auto at = [&](const QString &probe) {
            for (int r = 0; r < model.rowCount(); ++r) {
                if (model.headerData(r, Qt::Vertical).toString() == probe) {
                    return model.index(r, 0);
                }
            }
            return QModelIndex();
        };
        QCOMPARE(at(QStringLiteral("http-service")).data(ComparisonModel::ChangeTextRole).toString(),
            QStringLiteral("fixed"));
        QCOMPARE(at(QStringLiteral("http-slow")).data().toString(), QStringLiteral("faster · 1.50 s → 7.1 ms"));
        QVERIFY(at(QStringLiteral("http-legacy")).data(Qt::ToolTipRole).toString().contains(QStringLiteral("broke")));
        const QColor broke = at(QStringLiteral("http-legacy")).data(Qt::BackgroundRole).value<QColor>();
        const QColor fixed = at(QStringLiteral("http-service")).data(Qt::BackgroundRole).value<QColor>();
        QVERIFY(broke.red() > broke.green());
        QVERIFY(fixed.green() > fixed.red());
        QVERIFY(!at(QStringLiteral("shell-true")).data(Qt::BackgroundRole).isValid()); // unchanged: no colour
    }
};

QTEST_GUILESS_MAIN(TestResultModels)
#include "tst_resultmodels.moc"
