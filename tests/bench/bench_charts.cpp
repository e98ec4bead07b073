// Charts of a 10,000-sample run (issue 7): how long building the four charts takes, a first
// paint, a zoom on the timeline and a hover over it. Rendered offscreen, so these are CPU costs
// of Qt Charts and our code, without a GPU or a compositor.
//   bench_charts [--samples N]

#include "resultcharts.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QElapsedTimer>
#include <QLineSeries>
#include <QMouseEvent>
#include <QTabWidget>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace nestscope;

namespace {

Run bigRun(int samples)
{
    // 10 probes x 2 targets, as many repetitions as it takes: the shape of a long soak run.
    Run run;
    run.planName = QStringLiteral("soak");
    for (int p = 0; p < 10; ++p) {
        run.probeIds << QStringLiteral("probe-%1").arg(p);
    }
    run.targets = { QStringLiteral("runner"), QStringLiteral("vm1") };
    for (int i = 0; i < samples; ++i) {
        Sample s;
        s.probeId = run.probeIds.at(i % 10);
        s.target = run.targets.at((i / 10) % 2);
        s.repetition = i / 20;
        s.status = i % 17 == 0 ? SampleStatus::Fail : SampleStatus::Pass;
        s.latencyMs = 5.0 + (i * 7919 % 4000) / 10.0;
        s.phasesMs = { { QStringLiteral("dns"), 1.0 }, { QStringLiteral("connect"), 2.0 },
            { QStringLiteral("first_byte"), s.latencyMs - 3.0 } };
        run.samples << s;
    }
    return run;
}

double ms(const QElapsedTimer &t)
{
    return t.nsecsElapsed() / 1e6;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QApplication app(argc, argv);
    const QStringList args = QApplication::arguments();
    const qsizetype at = args.indexOf(QStringLiteral("--samples"));
    const int samples = at >= 0 && at + 1 < args.size() ? args.at(at + 1).toInt() : 10'000;
    const Run run = bigRun(samples);

    ResultCharts charts;
    charts.resize(1200, 700);
    charts.show();

    std::vector<double> build, paintLatency, paintTimeline, zoom, hover;
    for (int round = 0; round < 5; ++round) {
        QElapsedTimer t;
        t.start();
        charts.setRun(run);
        build.push_back(ms(t));

        charts.tabs()->setCurrentIndex(ResultCharts::Latency);
        t.restart();
        charts.chartView(ResultCharts::Latency)->grab();
        paintLatency.push_back(ms(t));

        charts.tabs()->setCurrentIndex(ResultCharts::Timeline);
        QChartView *view = charts.chartView(ResultCharts::Timeline);
        t.restart();
        view->grab();
        paintTimeline.push_back(ms(t));

        // Zoom into the middle quarter, as a rubber band would, and paint the result.
        t.restart();
        QChart *chart = view->chart();
        const QRectF area = chart->plotArea();
        chart->zoomIn(QRectF(
            area.center() - QPointF(area.width() / 8, area.height() / 8), QSizeF(area.width() / 4, area.height() / 4)));
        view->grab();
        zoom.push_back(ms(t));
        chart->zoomReset();

        // A mouse move over the plot: Qt Charts hit-tests every line series under the cursor.
        t.restart();
        for (int i = 0; i < 20; ++i) {
            const QPointF pos = area.topLeft() + QPointF(area.width() * (0.1 + 0.04 * i), area.height() * 0.5);
            QMouseEvent move(QEvent::MouseMove, view->mapFromScene(chart->mapToScene(pos)),
                view->viewport()->mapToGlobal(view->mapFromScene(chart->mapToScene(pos))), Qt::NoButton, Qt::NoButton,
                Qt::NoModifier);
            QApplication::sendEvent(view->viewport(), &move);
        }
        hover.push_back(ms(t) / 20);
    }
    int points = 0;
    for (QAbstractSeries *s : charts.chart(ResultCharts::Timeline)->series()) {
        points += int(static_cast<QLineSeries *>(s)->count());
    }
    std::printf("Charts of a %d-sample run (%d timeline points in %d series), offscreen, median of 5\n\n", samples,
        points, int(charts.chart(ResultCharts::Timeline)->series().size()));
    std::printf("build all four charts     %8.1f ms\n", median(build));
    std::printf("paint latency box plots   %8.1f ms\n", median(paintLatency));
    std::printf("paint timeline            %8.1f ms   (a frame at 60 Hz is 16.7 ms)\n", median(paintTimeline));
    std::printf("zoom timeline + repaint   %8.1f ms\n", median(zoom));
    std::printf("hover (one mouse move)    %8.2f ms\n", median(hover));
    return 0;
}
