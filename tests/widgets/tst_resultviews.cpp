#include "comparisonmodel.h"
#include "comparisonview.h"
#include "findingspanel.h"
#include "matrixfiltermodel.h"
#include "matrixmodel.h"
#include "matrixpanel.h"
#include "resultcharts.h"
#include "results/runjson.h"
#include "results/runstore.h"
#include "runlistmodel.h"
#include "runlistview.h"
#include "runview.h"
#include "sampledetails.h"
#include "topologyscene.h"
#include "topologyview.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QBoxPlotSeries>
#include <QBoxSet>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QLegend>
#include <QLegendMarker>
#include <QLineEdit>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPlainTextEdit>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QStackedBarSeries>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QValueAxis>

#include <set>

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

Run fixtureRun(const QString &name)
{
    return *runFromJson(fixture(name), name);
}

QStringList axisTitles(QChart *chart)
{
    QStringList titles;
    for (QAbstractAxis *a : chart->axes()) {
        titles << a->titleText();
    }
    return titles;
}

/// How many clearly different colours an image has: a blank or one-colour render has one or two.
int distinctColours(const QImage &image)
{
    std::set<QRgb> colours;
    for (int y = 0; y < image.height(); y += 4) {
        for (int x = 0; x < image.width(); x += 4) {
            colours.insert(image.pixel(x, y) & 0xf0f0f0);
        }
    }
    return int(colours.size());
}

void saveScreenshot(QWidget *w, const QString &name)
{
    const QImage image = w->grab().toImage();
    QVERIFY(!image.isNull());
    QVERIFY(image.save(QDir::current().filePath(name)));
    if (qEnvironmentVariableIsSet("NESTSCOPE_UPDATE_SCREENSHOTS")) {
        QVERIFY(image.save(QStringLiteral(NESTSCOPE_SOURCE_DIR "/docs/screenshots/") + name));
    }
}

} // namespace

class TestResultViews : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void chartsOfARecordedRun()
    {
        ResultCharts charts;
        charts.resize(960, 600);
        // Before a run, and at the start of one (targets known, no sample yet): no axes or legend
        // over nothing, a line that says where the data comes from.
        Run started = fixtureRun(QStringLiteral("before.json"));
        started.samples.clear();
        QVERIFY(!started.targets.isEmpty());
        for (const bool withRun : { false, true }) {
            if (withRun) {
                charts.setRun(started);
            }
            for (int which = 0; which < ResultCharts::ChartCount; ++which) {
                QChart *chart = charts.chart(ResultCharts::Chart(which));
                QVERIFY2(chart->title().startsWith(QStringLiteral("No samples to chart")), qPrintable(chart->title()));
                for (QAbstractAxis *axis : chart->axes()) {
                    QVERIFY(!axis->isVisible());
                }
                QVERIFY(!chart->legend()->isVisible());
            }
        }
        charts.setRun(fixtureRun(QStringLiteral("before.json")));
        for (QAbstractAxis *axis : charts.chart(ResultCharts::Latency)->axes()) {
            QVERIFY(axis->isVisible());
        }
        QVERIFY(!charts.chart(ResultCharts::Latency)->title().startsWith(QStringLiteral("No samples")));
        charts.show();
        QVERIFY(QTest::qWaitForWindowExposed(&charts));

        // Latency: one box series per target, one box per probe, in plan order; then the marks of
        // the samples that did not pass.
        QChart *latency = charts.chart(ResultCharts::Latency);
        QCOMPARE(latency->series().size(), 2);
        auto *boxes = qobject_cast<QBoxPlotSeries *>(latency->series().first());
        QVERIFY(boxes);
        QCOMPARE(boxes->name(), QStringLiteral("runner"));
        QCOMPARE(boxes->count(), 4);
        QBoxSet *slow = nullptr;
        QBoxSet *service = nullptr;
        for (QBoxSet *set : boxes->boxSets()) {
            if (set->label() == QLatin1String("http-slow")) {
                slow = set;
            }
            if (set->label() == QLatin1String("http-service")) {
                service = set;
            }
        }
        QVERIFY(slow);
        QVERIFY(slow->at(QBoxSet::Median) > 1500);
        // http-service failed 3 of 3 (connection refused in ~0.1 ms): no box, which would read as
        // the fastest probe of the run, but a "failed" mark above the latencies of its column.
        QVERIFY(service);
        QCOMPARE(service->pen().color().alpha(), 0);
        QCOMPARE(service->brush().color().alpha(), 0);
        QVERIFY(slow->pen().style() == Qt::NoPen || slow->pen().color().alpha() > 0);
        auto *failed = qobject_cast<QScatterSeries *>(latency->series().at(1));
        QVERIFY(failed);
        QCOMPARE(failed->name(), QStringLiteral("failed"));
        QCOMPARE(failed->count(), 1);
        const QStringList latencyProbes
            = qobject_cast<QBarCategoryAxis *>(latency->axes(Qt::Horizontal).first())->categories();
        QCOMPARE(qRound(failed->at(0).x()), int(latencyProbes.indexOf(QStringLiteral("http-service"))));
        const auto *latencyY = qobject_cast<QLogValueAxis *>(latency->axes(Qt::Vertical).first());
        QVERIFY(latencyY);
        QVERIFY2(failed->at(0).y() > slow->at(QBoxSet::UpperExtreme), "the marks sit above every latency");
        QVERIFY(failed->at(0).y() < latencyY->max());
        QVERIFY(axisTitles(latency).contains(QStringLiteral("latency (ms, log)")));
        QVERIFY(latency->legend()->isVisible());
        QCOMPARE(latency->axes(Qt::Horizontal).first()->labelsAngle(), 0); // four probes fit upright

        // Phases: only the HTTP probes have them; DNS, connect, TLS and first byte stack up.
        QChart *phases = charts.chart(ResultCharts::Phases);
        auto *stacked = qobject_cast<QStackedBarSeries *>(phases->series().first());
        QVERIFY(stacked);
        QStringList phaseNames;
        for (QBarSet *set : stacked->barSets()) {
            phaseNames << set->label();
        }
        QCOMPARE(phaseNames,
            (QStringList { QStringLiteral("DNS"), QStringLiteral("connect"), QStringLiteral("TLS"),
                QStringLiteral("first byte") }));
        // Of the passing samples: http-service, refused every time, has no phases to break down.
        auto *categories = qobject_cast<QBarCategoryAxis *>(phases->axes(Qt::Horizontal).first());
        QCOMPARE(
            categories->categories(), (QStringList { QStringLiteral("http-slow"), QStringLiteral("http-legacy") }));
        QVERIFY(axisTitles(phases).contains(QStringLiteral("time (ms)")));

        // Success rate in percent, per probe.
        QChart *success = charts.chart(ResultCharts::SuccessRate);
        auto *bars = qobject_cast<QBarSeries *>(success->series().first());
        QBarSet *runner = bars->barSets().first();
        const QStringList probes
            = qobject_cast<QBarCategoryAxis *>(success->axes(Qt::Horizontal).first())->categories();
        QCOMPARE(runner->at(int(probes.indexOf(QStringLiteral("http-service")))), 0.0);
        QCOMPARE(runner->at(int(probes.indexOf(QStringLiteral("http-legacy")))), 100.0);
        QVERIFY(axisTitles(success).contains(QStringLiteral("passed (%)")));

        // Timeline: a line per probe and target with passing samples, x = repetition 1..3; the three
        // failed repetitions of http-service are marks, not a line at 0.1 ms.
        QChart *timeline = charts.chart(ResultCharts::Timeline);
        QCOMPARE(timeline->series().size(), 4);
        QStringList lines;
        QScatterSeries *failedReps = nullptr;
        for (QAbstractSeries *series : timeline->series()) {
            if (auto *scatter = qobject_cast<QScatterSeries *>(series)) {
                failedReps = scatter;
            } else if (auto *l = qobject_cast<QLineSeries *>(series)) {
                lines << l->name();
            }
        }
        lines.sort();
        QCOMPARE(lines,
            (QStringList { QStringLiteral("http-legacy"), QStringLiteral("http-slow"), QStringLiteral("shell-true") }));
        QVERIFY(failedReps);
        QCOMPARE(failedReps->name(), QStringLiteral("failed"));
        QCOMPARE(failedReps->count(), 3);
        auto *line = qobject_cast<QLineSeries *>(timeline->series().first());
        QCOMPARE(line->count(), 3);
        QCOMPARE(line->at(0).x(), 1.0);
        QVERIFY(axisTitles(timeline).contains(QStringLiteral("repetition")));
        QVERIFY(axisTitles(timeline).contains(QStringLiteral("latency (ms, log)")));

        // Hovering the http-legacy bar says what it is, with the unit.
        charts.tabs()->setCurrentIndex(ResultCharts::SuccessRate);
        QChartView *view = charts.chartView(ResultCharts::SuccessRate);
        QTRY_VERIFY_WITH_TIMEOUT(view->isVisible(), 30000);
        const int legacy = int(probes.indexOf(QStringLiteral("http-legacy")));
        const QPointF inChart = success->mapToPosition(QPointF(legacy, 50), bars);
        const QPoint onScreen = view->mapFromScene(success->mapToScene(inChart));
        QTest::mouseMove(view->viewport(), onScreen);
        QTRY_COMPARE_WITH_TIMEOUT(
            charts.hoverText(), QStringLiteral("http-legacy on runner: 100 % passed (3 passed)"), 30000);

        // Pointing at the failure mark says what it is: failures, counted, not a latency.
        charts.tabs()->setCurrentIndex(ResultCharts::Latency);
        QChartView *latencyView = charts.chartView(ResultCharts::Latency);
        QTRY_VERIFY_WITH_TIMEOUT(latencyView->isVisible(), 30000);
        const QPoint mark
            = latencyView->mapFromScene(latency->mapToScene(latency->mapToPosition(failed->at(0), failed)));
        QTest::mouseMove(latencyView->viewport(), mark + QPoint(0, 1));
        QTRY_VERIFY_WITH_TIMEOUT(charts.hoverText().startsWith(QStringLiteral(
                                     "http-service on runner: 3 of 3 failed — not timed, not in the box")),
            30000);
        QVERIFY2(charts.hoverText().contains(QStringLiteral("Failed to connect")), qPrintable(charts.hoverText()));
        // ... and the box of a probe with passes names the outcomes it leaves out.
        const QPoint slowBox = latencyView->mapFromScene(latency->mapToScene(latency->mapToPosition(
            QPointF(latencyProbes.indexOf(QStringLiteral("http-slow")), slow->at(QBoxSet::Median)), boxes)));
        QTest::mouseMove(latencyView->viewport(), slowBox);
        QTRY_VERIFY_WITH_TIMEOUT(
            charts.hoverText().startsWith(QStringLiteral("http-slow on runner: p50 1.50 s")), 30000);
        QVERIFY2(charts.hoverText().endsWith(QStringLiteral("3 passed")), qPrintable(charts.hoverText()));

        // What is painted is a chart, not a blank: many colours.
        for (int i = 0; i < ResultCharts::ChartCount; ++i) {
            charts.tabs()->setCurrentIndex(i);
            const QImage image = charts.chartView(ResultCharts::Chart(i))->grab().toImage();
            QVERIFY2(distinctColours(image) > 8, qPrintable(QString::number(i)));
        }
    }

    void chartsFollowThePalette()
    {
        ResultCharts charts;
        charts.setRun(fixtureRun(QStringLiteral("after.json")));
        QPalette dark = charts.palette();
        dark.setColor(QPalette::Base, QColor(0x20, 0x20, 0x24));
        dark.setColor(QPalette::Text, QColor(0xee, 0xee, 0xee));
        charts.setPalette(dark);
        QCOMPARE(charts.chart(ResultCharts::Latency)->backgroundBrush().color(), QColor(0x20, 0x20, 0x24));
        for (QAbstractAxis *axis : charts.chart(ResultCharts::Latency)->axes()) {
            QCOMPARE(axis->labelsColor(), QColor(0xee, 0xee, 0xee));
        }
    }

    void exportsPngAndSvg()
    {
        ResultCharts charts;
        charts.resize(800, 500);
        charts.setRun(fixtureRun(QStringLiteral("before.json")));
        charts.show();
        QVERIFY(QTest::qWaitForWindowExposed(&charts));
        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("latency.png"));
        const QString svg = dir.filePath(QStringLiteral("latency.svg"));
        QVERIFY(charts.exportChart(ResultCharts::Latency, png));
        QVERIFY(charts.exportChart(ResultCharts::Latency, svg));
        QImage image(png);
        QVERIFY(!image.isNull());
        QVERIFY(distinctColours(image) > 8);
        QFile f(svg);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        QVERIFY(text.startsWith("<?xml"));
        QVERIFY(text.contains("latency (ms, log)"));
        QVERIFY(text.contains("http-slow"));
    }

    void comparisonOfRecordedRuns()
    {
        ComparisonView view;
        QAbstractItemModelTester tester(view.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.resize(1100, 860);
        view.setRuns(fixtureRun(QStringLiteral("before.json")), QStringLiteral("before"),
            fixtureRun(QStringLiteral("after.json")), QStringLiteral("after"));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QCOMPARE(view.summary(),
            QStringLiteral(
                "1 cell fixed, 1 broke, 0 still failing, 1 faster, http-slow p50 on runner 1,502 ms -> 7.1 ms"));
        QCOMPARE(view.comparison().count(CellChange::Fixed), 1);

        // The charts overlay both runs: a box series for each, and the failures of each as marks.
        QChart *latency = view.charts()->chart(ResultCharts::Latency);
        QStringList names;
        for (QAbstractSeries *s : latency->series()) {
            names << s->name();
        }
        QCOMPARE(names,
            (QStringList { QStringLiteral("runner (before)"), QStringLiteral("runner (after)"),
                QStringLiteral("failed"), QStringLiteral("failed") }));
        // ... and the legend names each outcome once.
        int legendEntries = 0;
        for (QLegendMarker *marker : latency->legend()->markers()) {
            legendEntries += marker->isVisible() ? 1 : 0;
        }
        QCOMPARE(legendEntries, 3);

        // The painted diff matrix: the fixed cell is green, the broken one red.
        const auto *model = view.model();
        auto rowOf = [&](const QString &probe) {
            for (int r = 0; r < model->rowCount(); ++r) {
                if (model->headerData(r, Qt::Vertical).toString() == probe) {
                    return r;
                }
            }
            return -1;
        };
        const QImage shot = view.view()->viewport()->grab().toImage();
        const QRect fixedRect = view.view()->visualRect(model->index(rowOf(QStringLiteral("http-service")), 0));
        const QRect brokeRect = view.view()->visualRect(model->index(rowOf(QStringLiteral("http-legacy")), 0));
        const QColor fixedPixel = shot.pixelColor(fixedRect.left() + 4, fixedRect.center().y());
        const QColor brokePixel = shot.pixelColor(brokeRect.left() + 4, brokeRect.center().y());
        QVERIFY2(fixedPixel.green() > fixedPixel.red() + 40, qPrintable(fixedPixel.name()));
        QVERIFY2(brokePixel.red() > brokePixel.green() + 40, qPrintable(brokePixel.name()));
        saveScreenshot(&view, QStringLiteral("comparison.png"));

        // A floor of 2 s: the 1.5 s improvement no longer counts.
        view.setThresholds({ 0.5, 2000 });
        QCOMPARE(view.summary(), QStringLiteral("1 cell fixed, 1 broke, 0 still failing"));
        QCOMPARE(view.comparison().count(CellChange::Faster), 0);
    }

    void labRunsBeforeAndAfterTheFix()
    {
        // Recorded from the lab (tests/data/runs/record-lab.sh): the built-in plan on the runner and
        // two instances, first on an IPv6-only bridge (the runner has no IPv6 path out), then healthy.
        // Each keeps the topology `nestscope run` discovered before it started.
        const Run before = fixtureRun(QStringLiteral("lab-ipv6-only.json"));
        const Run after = fixtureRun(QStringLiteral("lab-healthy.json"));
        QCOMPARE(
            before.targets, (QStringList { QStringLiteral("runner"), QStringLiteral("vm1"), QStringLiteral("vm2") }));

        // The stored run, split by family: runner passes IPv4 and fails IPv6, the instances fail both.
        RunView run;
        run.resize(1280, 900);
        run.setRun(before, QStringLiteral("Nested VM network · lab, ipv6-only"));
        run.matrixPanel()->splitByFamily()->setChecked(true);
        MatrixModel *m = run.matrixModel();
        QVERIFY(m->splitByFamily());
        auto cell = [&](const QString &row, const QString &column) {
            for (int r = 0; r < m->rowCount(); ++r) {
                for (int c = 0; c < m->columnCount(); ++c) {
                    if (m->headerData(r, Qt::Vertical).toString() == row
                        && m->headerData(c, Qt::Horizontal).toString() == column) {
                        return m->index(r, c).data(MatrixModel::CellRole).value<MatrixCell>();
                    }
                }
            }
            return MatrixCell {};
        };
        const QString https = QStringLiteral("https");
        QCOMPARE(cell(https, QStringLiteral("runner · IPv4")).passRate(), 1.0);
        QCOMPARE(cell(https, QStringLiteral("runner · IPv6")).passRate(), 0.0);
        QCOMPARE(cell(https, QStringLiteral("vm1 · IPv4")).passRate(), 0.0);
        QCOMPARE(cell(https, QStringLiteral("vm1 · IPv6")).passRate(), 0.0);
        QVERIFY(!cell(https, QStringLiteral("vm2 · IPv6")).isEmpty());
        QCOMPARE(cell(QStringLiteral("address"), QStringLiteral("vm1 · IPv4")).passRate(), 0.0); // no IPv4 at all
        // The verdict comes first, from the run and the topology it kept.
        QCOMPARE(run.lowerTabs()->widget(0), static_cast<QWidget *>(run.findings()));
        QCOMPARE(run.findings()->currentId(), QStringLiteral("ipv6-only-no-uplink"));
        QVERIFY(!run.matrixModel()->evidence().isEmpty()); // the top finding's cells are marked
        // The run kept its topology: a tab draws it, as it was, coloured by this run.
        QVERIFY(run.topologyView());
        QCOMPARE(run.lowerTabs()->count(), 3);
        QCOMPARE(run.topologyView()->topology().hostname, QStringLiteral("lab-runner"));
        QTRY_VERIFY_WITH_TIMEOUT(run.topologyView()->scene()->nodeItem(QStringLiteral("inst:vm1")), 30000);
        QVERIFY(!run.topologyView()->discoverAction()->isEnabled()); // a snapshot: nothing to discover
        QCOMPARE(cell(QStringLiteral("address"), QStringLiteral("vm1 · IPv6")).passRate(), 1.0);
        QCOMPARE(cell(QStringLiteral("dns"), QStringLiteral("vm1 · IPv6")).passRate(), 1.0); // dns-aaaa
        QCOMPARE(cell(QStringLiteral("dns"), QStringLiteral("runner · IPv4")).passRate(), 1.0); // dns-a
        // The built-in plan's twenty probe names would be elided to "ipv4-..." side by side: they stand on end.
        for (const auto which : { ResultCharts::Latency, ResultCharts::Phases, ResultCharts::SuccessRate }) {
            const QAbstractAxis *x = run.charts()->chart(which)->axes(Qt::Horizontal).first();
            QCOMPARE(x->labelsAngle(), -90);
            QVERIFY(!x->truncateLabels());
        }
        run.show();
        QVERIFY(QTest::qWaitForWindowExposed(&run));
        saveScreenshot(&run, QStringLiteral("lab-run-split.png"));
        Run withoutSnapshot = fixtureRun(QStringLiteral("lab-healthy.json"));
        QVERIFY(!withoutSnapshot.topologyJson.isEmpty());
        withoutSnapshot.topologyJson.clear(); // as runs made with --no-topology are
        run.setRun(withoutSnapshot, QStringLiteral("no snapshot"));
        QVERIFY(!run.topologyView()); // a run without a snapshot has no such tab
        QCOMPARE(run.lowerTabs()->count(), 2);
        QVERIFY2(run.findings()->headline().contains(QStringLiteral("no topology snapshot")),
            qPrintable(run.findings()->headline())); // and says why it has no verdict
        QVERIFY(run.matrixModel()->evidence().isEmpty());

        // The comparison: only fixes, no breakage; the instances' HTTPS over IPv4 among them.
        ComparisonView compare;
        compare.resize(1280, 900);
        compare.setRuns(before, QStringLiteral("ipv6-only"), after, QStringLiteral("healthy"));
        QCOMPARE(compare.comparison().count(CellChange::Fixed), 29);
        QCOMPARE(compare.comparison().count(CellChange::Broke), 0);
        // The package mirror is out of the lab's reach in both runs: still failing, and counted.
        QCOMPARE(compare.comparison().count(CellChange::StillFailing), 3);
        QVERIFY2(compare.summary().startsWith(QStringLiteral("29 cells fixed, 0 broke, 3 still failing")),
            qPrintable(compare.summary()));
        const Comparison &c = compare.comparison();
        const int httpsRow = int(c.probeIds().indexOf(QStringLiteral("https-ipv4")));
        const int vm1 = int(c.targets().indexOf(QStringLiteral("vm1")));
        const int packagesRow = int(c.probeIds().indexOf(QStringLiteral("package-manager")));
        QVERIFY(httpsRow >= 0 && vm1 >= 0 && packagesRow >= 0);
        QCOMPARE(c.cell(httpsRow, vm1).change, CellChange::Fixed);
        QCOMPARE(c.cell(packagesRow, vm1).change, CellChange::StillFailing);
        compare.show();
        QVERIFY(QTest::qWaitForWindowExposed(&compare));
        {
            // As visible as a broken cell: painted red, and it says what it is in words.
            const QModelIndex packages = compare.model()->index(packagesRow, vm1);
            QVERIFY2(packages.data().toString().startsWith(QStringLiteral("still failing · 0/")),
                qPrintable(packages.data().toString()));
            compare.view()->scrollTo(packages);
            const QRect rect = compare.view()->visualRect(packages);
            const QImage shot = compare.view()->viewport()->grab().toImage();
            int red = 0;
            int all = 0;
            for (int y = rect.top() + 1; y < rect.bottom(); y += 2) {
                for (int x = rect.left() + 1; x < rect.right(); x += 2) {
                    const QColor pixel = shot.pixelColor(x, y);
                    red += pixel.red() > pixel.green() + 60 && pixel.red() > pixel.blue() + 40 ? 1 : 0;
                    ++all;
                }
            }
            QVERIFY2(red > all / 2, qPrintable(QStringLiteral("%1 of %2 pixels red").arg(red).arg(all)));
            // A click shows its samples from both runs.
            QCOMPARE(compare.beforeSamples()->sampleCount(), 0);
            QTest::mouseClick(compare.view()->viewport(), Qt::LeftButton, {}, rect.center());
            QCOMPARE(compare.lowerTabs()->currentIndex(), 1);
            QVERIFY(compare.beforeSamples()->isVisible());
            QVERIFY(compare.beforeSamples()->sampleCount() > 0);
            QVERIFY(compare.afterSamples()->sampleCount() > 0);
            QVERIFY2(compare.beforeSamples()->title().startsWith(QStringLiteral("package-manager on vm1")),
                qPrintable(compare.beforeSamples()->title()));
            QVERIFY2(compare.afterSamples()->title().startsWith(QStringLiteral("package-manager on vm1")),
                qPrintable(compare.afterSamples()->title()));
        }
        saveScreenshot(&compare, QStringLiteral("lab-comparison.png"));
    }

    void chartScreenshots()
    {
        ResultCharts charts;
        charts.resize(1000, 620);
        charts.setRuns({ { QStringLiteral("before"), fixtureRun(QStringLiteral("before.json")) },
            { QStringLiteral("after"), fixtureRun(QStringLiteral("after.json")) } });
        charts.show();
        QVERIFY(QTest::qWaitForWindowExposed(&charts));
        const char *names[]
            = { "charts-latency.png", "charts-phases.png", "charts-success.png", "charts-timeline.png" };
        for (int i = 0; i < ResultCharts::ChartCount; ++i) {
            charts.tabs()->setCurrentIndex(i);
            saveScreenshot(&charts, QString::fromLatin1(names[i]));
        }
    }

    void storedRunFilterCopyAndSamples()
    {
        RunView view;
        view.resize(1100, 800);
        view.setRun(fixtureRun(QStringLiteral("before.json")), QStringLiteral("Before and after · before"));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QAbstractItemModelTester tester(view.filterModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(view.matrixView()->model()->rowCount(), 4);

        // Filter by status from the combo box, as a user would.
        view.showFilter()->setCurrentIndex(1);
        QCOMPARE(view.matrixView()->model()->rowCount(), 1);
        const QModelIndex failing = view.matrixView()->model()->index(0, 0);
        QCOMPARE(failing.data(MatrixModel::ProbeIdRole).toString(), QStringLiteral("http-service"));

        // Click the cell: its three samples, with the command and the error, are shown.
        QTest::mouseClick(
            view.matrixView()->viewport(), Qt::LeftButton, {}, view.matrixView()->visualRect(failing).center());
        QPlainTextEdit *text = view.findChild<QPlainTextEdit *>();
        QVERIFY(text);
        QTRY_VERIFY_WITH_TIMEOUT(text->toPlainText().contains(QStringLiteral("curl")), 30000);
        QVERIFY(text->toPlainText().contains(QStringLiteral("Failed to connect")));

        // Copy as Markdown copies what is shown: the filtered row only.
        view.copyMarkdown();
        const QString copied = QGuiApplication::clipboard()->text();
        QCOMPARE(copied, view.matrixModel()->toMarkdown({ view.filterModel()->mapToSource(failing).row() }));
        QVERIFY(copied.startsWith(QStringLiteral("| probe | runner |")));
        QVERIFY(copied.contains(QStringLiteral("http-service")));
        QVERIFY(!copied.contains(QStringLiteral("http-slow")));
        view.showFilter()->setCurrentIndex(0);
        view.copyMarkdown();
        QCOMPARE(QGuiApplication::clipboard()->text(), view.matrixModel()->toMarkdown());
        saveScreenshot(&view, QStringLiteral("run-view.png"));
    }

    void runListSearchCompareAndDelete()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))).ok());
        const qint64 before = *store.importJson(fixture(QStringLiteral("before.json")), QStringLiteral("before.json"));
        const qint64 after = *store.importJson(fixture(QStringLiteral("after.json")), QStringLiteral("after.json"));
        QVERIFY(store.renameRun(before, QStringLiteral("ipv6-only bridge")).ok());
        QVERIFY(store.setTags(after, { QStringLiteral("fixed") }).ok());

        RunListView list;
        QAbstractItemModelTester tester(list.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        list.setStore(&store);
        list.resize(900, 300);
        list.show();
        QVERIFY(QTest::qWaitForWindowExposed(&list));
        QCOMPARE(list.view()->model()->rowCount(), 2);

        QTest::keyClicks(list.searchField(), QStringLiteral("ipv6"));
        QCOMPARE(list.view()->model()->rowCount(), 1);
        list.searchField()->clear();
        QCOMPARE(list.view()->model()->rowCount(), 2);
        saveScreenshot(&list, QStringLiteral("run-list.png"));

        // Selected newest first, compared oldest first.
        QSignalSpy compare(&list, &RunListView::compareRequested);
        QSignalSpy open(&list, &RunListView::openRequested);
        list.selectRuns({ after, before });
        QCOMPARE(list.selectedRunIds().size(), 2);
        list.compareSelected();
        QCOMPARE(compare.count(), 1);
        QCOMPARE(compare.first().at(0).toLongLong(), before);
        QCOMPARE(compare.first().at(1).toLongLong(), after);
        list.openSelected();
        QCOMPARE(open.count(), 1);
        QCOMPARE(open.first().at(0).value<QList<qint64>>().size(), 2);

        // Deleting asks first; "no" keeps the run, "yes" removes it and its samples.
        QString asked;
        bool answer = false;
        list.setConfirmation([&](const QString &question) {
            asked = question;
            return answer;
        });
        list.selectRuns({ before });
        list.deleteSelected();
        QVERIFY2(asked.contains(QStringLiteral("ipv6-only bridge (12 samples)")), qPrintable(asked));
        QCOMPARE(store.runs().size(), 2);
        answer = true;
        list.deleteSelected();
        QCOMPARE(store.runs().size(), 1);
        QCOMPARE(list.view()->model()->rowCount(), 1);
        QVERIFY(!store.runInfo(before));
    }
};

QTEST_MAIN(TestResultViews)
#include "tst_resultviews.moc"
