#include "resultcharts.h"

#include "matrixmodel.h"
#include "results/runstats.h"

#include <QApplication>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QBoxPlotSeries>
#include <QBoxSet>
#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QFileDialog>
#include <QGraphicsLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPainter>
#include <QScatterSeries>
#include <QStackedBarSeries>
#include <QSvgGenerator>
#include <QTabWidget>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace nestscope {

namespace {

// A qualitative palette that reads on light and dark backgrounds (Okabe–Ito, colour-blind safe).
const QColor kTargetColors[] = { QColor(0x00, 0x72, 0xb2), QColor(0xe6, 0x9f, 0x00), QColor(0x00, 0x9e, 0x73),
    QColor(0xcc, 0x79, 0xa7), QColor(0x56, 0xb4, 0xe9), QColor(0xd5, 0x5e, 0x00), QColor(0xf0, 0xe4, 0x42) };

QString phaseLabel(const QString &phase)
{
    if (phase == QLatin1String("dns")) {
        return QStringLiteral("DNS");
    }
    if (phase == QLatin1String("tls")) {
        return QStringLiteral("TLS");
    }
    if (phase == QLatin1String("first_byte")) {
        return QStringLiteral("first byte");
    }
    return phase;
}

// Latencies span four orders of magnitude (0.1 ms loopback, 1.5 s slow server, 10 s timeouts):
// on a linear axis everything but the slowest probe is a flat line at 0, so they get a log axis.
constexpr double kLogFloorMs = 0.01;

double onLog(double ms)
{
    return std::max(ms, kLogFloorMs);
}

QLogValueAxis *logAxis(const QString &title, double min, double max)
{
    auto *axis = new QLogValueAxis;
    axis->setTitleText(title);
    axis->setBase(10);
    axis->setLabelFormat(QStringLiteral("%g"));
    // (a little below the smallest value, so a box starting at 10 ms is not drawn on the axis line)
    const double lo = std::pow(10.0, std::floor(std::log10(onLog(min) / 1.5)));
    const double hi = std::pow(10.0, std::ceil(std::log10(onLog(std::max(max, min * 10)))));
    axis->setRange(lo, std::max(hi, lo * 10));
    axis->setMinorTickCount(-1);
    axis->setMinorGridLineVisible(false); // decades are enough to read; minor lines only add noise
    return axis;
}

// A category axis elides what does not fit under its slot ("ipv4-..."), which is every probe name
// of a real plan. Past a handful of categories the labels stand on end: whole names, none
// overlapping its neighbour or reaching past the ends, and the axis takes their height.
constexpr int kUprightCategories = 6;

QBarCategoryAxis *categoryAxis(const QStringList &categories)
{
    auto *axis = new QBarCategoryAxis; // no title: the labels are the plan's probe names
    axis->append(categories);
    if (categories.size() > kUprightCategories) {
        axis->setLabelsAngle(-90);
        axis->setTruncateLabels(false);
    }
    return axis;
}

QValueAxis *valueAxis(const QString &title, double max)
{
    auto *axis = new QValueAxis;
    axis->setTitleText(title);
    axis->setRange(0, max > 0 ? max * 1.08 : 1);
    axis->applyNiceNumbers();
    axis->setLabelFormat(QStringLiteral("%g"));
    return axis;
}

// Samples that did not pass have no latency worth plotting (a refused connection is fast, a timeout
// is the plan's limit): they are marks in a band above the latencies, one row per outcome, with
// a shape and colour of their own, so a failure never reads as a fast or slow success.
struct ProblemKind {
    SampleStatus status;
    const char *name;
    QColor color;
    QScatterSeries::MarkerShape shape;
};

const ProblemKind kProblemKinds[] = {
    { SampleStatus::Fail, QT_TRANSLATE_NOOP("ResultCharts", "failed"), QColor(0xc0, 0x1c, 0x28),
        QScatterSeries::MarkerShapeRotatedRectangle },
    { SampleStatus::Timeout, QT_TRANSLATE_NOOP("ResultCharts", "timed out"), QColor(0x9a, 0x5b, 0x00),
        QScatterSeries::MarkerShapeTriangle },
    { SampleStatus::Error, QT_TRANSLATE_NOOP("ResultCharts", "could not run"), QColor(0x6a, 0x1b, 0x9a),
        QScatterSeries::MarkerShapeStar },
    { SampleStatus::Skipped, QT_TRANSLATE_NOOP("ResultCharts", "skipped"), QColor(0x80, 0x80, 0x80),
        QScatterSeries::MarkerShapeCircle },
};

int countOf(const OutcomeCounts &c, SampleStatus status)
{
    switch (status) {
    case SampleStatus::Pass:
        return c.passed;
    case SampleStatus::Fail:
        return c.failed;
    case SampleStatus::Timeout:
        return c.timedOut;
    case SampleStatus::Error:
        return c.errors;
    case SampleStatus::Skipped:
        return c.skipped;
    }
    return 0;
}

// The band above the data (one decade on the log axis) and the row of each outcome in it.
double bandY(double axisTopBeforeBand, int kind)
{
    return axisTopBeforeBand * std::pow(10.0, 0.8 - 0.2 * kind);
}

QScatterSeries *problemSeries(const ProblemKind &kind, const QString &name)
{
    auto *series = new QScatterSeries;
    series->setName(name);
    series->setMarkerShape(kind.shape);
    series->setMarkerSize(11);
    series->setColor(kind.color);
    series->setBorderColor(Qt::white);
    return series;
}

/// Index of the point of `points` nearest to `p` (hover reports the point it is over).
qsizetype nearest(const QList<QPointF> &points, const QPointF &p)
{
    qsizetype best = -1;
    double bestDist = INFINITY;
    for (qsizetype i = 0; i < points.size(); ++i) {
        // x in categories or repetitions, y on a log axis: compare in those terms
        const double dx = points.at(i).x() - p.x();
        const double dy = std::log10(std::max(points.at(i).y(), 1e-9)) - std::log10(std::max(p.y(), 1e-9));
        const double d = dx * dx + dy * dy;
        if (d < bestDist) {
            bestDist = d;
            best = i;
        }
    }
    return best;
}

/// Hides the legend entry of `series` when an earlier series of the chart has the same name; true if hidden.
bool hideRepeatedLegendEntry(QChart *chart, QAbstractSeries *series)
{
    for (QAbstractSeries *other : chart->series()) {
        if (other == series) {
            return false;
        }
        if (other->name() == series->name()) {
            for (QLegendMarker *marker : chart->legend()->markers(series)) {
                marker->setVisible(false);
            }
            return true;
        }
    }
    return false;
}

} // namespace

ResultCharts::ResultCharts(QWidget *parent)
    : QWidget(parent)
    , m_tabs(new QTabWidget(this))
    , m_hover(new QLabel(this))
    , m_liveTimer(new QTimer(this))
{
    const QString titles[ChartCount] = { tr("Latency"), tr("Phases"), tr("Success rate"), tr("Timeline") };
    for (int i = 0; i < ChartCount; ++i) {
        auto *chart = new QChart;
        chart->setAnimationOptions(QChart::NoAnimation); // live updates must not wobble
        // The dock is short: the plot gets the height, the legend sits beside it.
        chart->layout()->setContentsMargins(0, 0, 0, 0);
        chart->setMargins(QMargins(6, 4, 6, 4));
        chart->legend()->setAlignment(Qt::AlignRight);
        m_views[i] = new QChartView(chart, this);
        m_views[i]->setRenderHint(QPainter::Antialiasing);
        m_views[i]->setObjectName(QStringLiteral("chart-%1").arg(i));
        m_tabs->addTab(m_views[i], titles[i]);
    }
    // Zoom by dragging a rectangle on the timeline; right click zooms out (QChartView's default).
    m_views[Timeline]->setRubberBand(QChartView::RectangleRubberBand);

    auto *exportButton = new QToolButton(this);
    exportButton->setText(tr("Export…"));
    exportButton->setToolTip(tr("Save the chart shown as PNG or SVG"));
    connect(exportButton, &QToolButton::clicked, this, &ResultCharts::exportCurrent);
    m_tabs->setCornerWidget(exportButton);

    m_hover->setTextFormat(Qt::PlainText);
    m_hover->setContentsMargins(6, 2, 6, 2);
    m_hover->setText(tr("Point at a bar, box or point to read its values."));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(m_hover);

    // Below this, axis titles and box plots collapse into unreadable slivers.
    setMinimumSize(360, 280);
    m_liveTimer->setSingleShot(true);
    m_liveTimer->setInterval(500);
    connect(m_liveTimer, &QTimer::timeout, this, [this] {
        setRuns({ { QString(), m_pendingLive } });
    });
    rebuild();
}

QChart *ResultCharts::chart(Chart which) const
{
    return m_views[which]->chart();
}

QChartView *ResultCharts::chartView(Chart which) const
{
    return m_views[which];
}

QString ResultCharts::hoverText() const
{
    return m_hover->text();
}

void ResultCharts::setRuns(const QList<LabelledRun> &runs)
{
    m_liveTimer->stop();
    m_runs = runs;
    rebuild();
}

void ResultCharts::setLiveRun(const Run &run)
{
    m_pendingLive = run;
    if (!m_liveTimer->isActive()) {
        m_liveTimer->start();
    }
}

void ResultCharts::showHover(const QString &text)
{
    m_hover->setText(text);
}

QStringList ResultCharts::allTargets() const
{
    QStringList targets;
    for (const LabelledRun &r : m_runs) {
        for (const QString &t : r.run.targets) {
            if (!targets.contains(t)) {
                targets << t;
            }
        }
        for (const Sample &s : r.run.samples) {
            if (!targets.contains(s.target)) {
                targets << s.target;
            }
        }
    }
    return targets;
}

QStringList ResultCharts::allProbes() const
{
    QStringList probes;
    for (const LabelledRun &r : m_runs) {
        for (const QString &p : r.run.probeIds) {
            if (!probes.contains(p)) {
                probes << p;
            }
        }
        for (const Sample &s : r.run.samples) {
            if (!probes.contains(s.probeId)) {
                probes << s.probeId;
            }
        }
    }
    return probes;
}

QColor ResultCharts::colorFor(int runIndex, int seriesIndex) const
{
    QColor c = kTargetColors[seriesIndex % std::size(kTargetColors)];
    // With two runs the first ("before") is the paler one, so "after" reads as the result.
    if (m_runs.size() > 1 && runIndex == 0) {
        c = QColor::fromHsvF(c.hsvHueF(), c.hsvSaturationF() * 0.45f, std::min(1.0f, c.valueF() * 1.1f));
    }
    return c;
}

QString ResultCharts::seriesName(int runIndex, const QString &what) const
{
    const QString label = m_runs.value(runIndex).label;
    return label.isEmpty() ? what : QStringLiteral("%1 (%2)").arg(what, label);
}

void ResultCharts::rebuild()
{
    buildLatency();
    buildPhases();
    buildSuccess();
    buildTimeline();
    const bool empty = std::all_of(m_runs.cbegin(), m_runs.cend(), [](const LabelledRun &r) {
        return r.run.samples.isEmpty();
    });
    for (QChartView *v : m_views) {
        if (empty) {
            // Axes over nothing read as a measurement of nothing; say where the data comes from.
            v->chart()->setTitle(tr("No samples to chart: run the plan (F5) and the charts fill in as samples arrive"));
            for (QAbstractAxis *axis : v->chart()->axes()) {
                axis->setVisible(false);
            }
            v->chart()->legend()->setVisible(false);
        }
        applyPalette(v->chart());
    }
}

void ResultCharts::applyPalette(QChart *chart) const
{
    // Follow the widget palette rather than a fixed theme, so light and dark desktops both read.
    const QPalette pal = palette();
    chart->setBackgroundBrush(pal.base());
    chart->setBackgroundRoundness(0);
    chart->setTitleBrush(pal.text());
    chart->legend()->setLabelColor(pal.color(QPalette::Text));
    QColor grid = pal.color(QPalette::Text);
    grid.setAlphaF(0.15f);
    for (QAbstractAxis *axis : chart->axes()) {
        axis->setLabelsColor(pal.color(QPalette::Text));
        axis->setTitleBrush(pal.text());
        axis->setLinePenColor(pal.color(QPalette::Mid));
        axis->setGridLineColor(grid);
    }
}

void ResultCharts::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange) {
        for (QChartView *v : m_views) {
            applyPalette(v->chart());
        }
    }
}

void ResultCharts::buildLatency()
{
    QChart *chart = m_views[Latency]->chart();
    chart->removeAllSeries();
    for (QAbstractAxis *a : chart->axes()) {
        chart->removeAxis(a);
        delete a;
    }
    chart->setTitle(tr("Latency of the passing samples: box = quartiles, whiskers = min and max; marks above = "
                       "samples that did not pass"));
    const QStringList probes = allProbes();
    const QStringList targets = allTargets();
    double max = 0;
    double min = INFINITY;
    QList<QBoxPlotSeries *> seriesList;
    const int slots = int(m_runs.size() * targets.size());
    struct Mark {
        int run;
        int kind;
        QPointF at; // y is the row within the band, set once the axis is known
        QString text;
    };
    QList<Mark> marks;
    for (int r = 0; r < m_runs.size(); ++r) {
        for (int t = 0; t < targets.size(); ++t) {
            auto *series = new QBoxPlotSeries;
            series->setName(seriesName(r, targets.at(t)));
            series->setBrush(colorFor(r, t));
            series->setBoxWidth(0.6);
            const int slot = r * int(targets.size()) + t;
            const QString target = targets.at(t);
            const QString runLabel = m_runs.at(r).label;
            const QString where = runLabel.isEmpty() ? tr("on %1").arg(target) : tr("on %1 (%2)").arg(target, runLabel);
            for (int p = 0; p < probes.size(); ++p) {
                const QString &probe = probes.at(p);
                const LatencyStats st = runstats::latency(m_runs.at(r).run, probe, target);
                // A cell without a passing sample keeps its slot, so the boxes line up, but is not drawn:
                // a box at the axis floor would read as a very fast success.
                auto *set
                    = new QBoxSet(onLog(st.min), onLog(st.q1), onLog(st.median), onLog(st.q3), onLog(st.max), probe);
                if (st.count == 0) {
                    set->setPen(QPen(Qt::transparent)); // (Qt::NoPen would mean "the series' pen")
                    set->setBrush(QBrush(Qt::transparent));
                }
                series->append(set);
                if (st.count > 0) {
                    max = std::max(max, st.max);
                    min = std::min(min, onLog(st.min));
                }
                const OutcomeCounts outcome = runstats::outcomes(m_runs.at(r).run, probe, target);
                const QList<OutcomePoint> problems = runstats::timelineProblems(m_runs.at(r).run, probe, target);
                for (int k = 0; k < int(std::size(kProblemKinds)); ++k) {
                    const int n = countOf(outcome, kProblemKinds[k].status);
                    if (n == 0) {
                        continue;
                    }
                    QString last;
                    for (const OutcomePoint &op : problems) {
                        if (op.status == kProblemKinds[k].status && !op.message.isEmpty()) {
                            last = op.message;
                        }
                    }
                    const int of = kProblemKinds[k].status == SampleStatus::Skipped ? outcome.ran() + outcome.skipped
                                                                                    : outcome.ran();
                    QString text = tr("%1 %2: %3 of %4 %5 — not timed, not in the box")
                                       .arg(probe, where)
                                       .arg(n)
                                       .arg(of)
                                       .arg(tr(kProblemKinds[k].name));
                    if (!last.isEmpty()) {
                        text += tr(" (last: %1)").arg(last.simplified().left(120));
                    }
                    marks << Mark { r, k, QPointF(p - 0.5 + (slot + 0.5) / slots, 0), text };
                }
            }
            // Series are rebuilt with m_runs, so the index stays valid for as long as the series lives.
            connect(series, &QBoxPlotSeries::hovered, this, [this, target, where, r](bool on, QBoxSet *set) {
                if (!on || !set || r >= m_runs.size()) {
                    return;
                }
                const LatencyStats st = runstats::latency(m_runs.at(r).run, set->label(), target);
                const OutcomeCounts outcome = runstats::outcomes(m_runs.at(r).run, set->label(), target);
                QString text = tr("%1 %2").arg(set->label(), where);
                if (st.count == 0) {
                    text += outcome.isEmpty() ? tr(": no samples")
                                              : tr(": no passing sample to time (%1)").arg(outcome.toText());
                } else {
                    text += tr(": p50 %1 · p95 %2 · min %3 · max %4 · %5")
                                .arg(MatrixModel::formatMs(st.median), MatrixModel::formatMs(st.p95),
                                    MatrixModel::formatMs(st.min), MatrixModel::formatMs(st.max), outcome.toText());
                    if (outcome.notPassed() > 0) {
                        text += tr(" (only the passing ones in the box)");
                    }
                }
                showHover(text);
            });
            seriesList << series;
        }
    }
    auto *x = categoryAxis(probes);
    auto *y = logAxis(tr("latency (ms, log)"), std::isfinite(min) ? min : 1, max);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    for (QBoxPlotSeries *s : std::as_const(seriesList)) {
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
    }
    if (!marks.isEmpty()) {
        const double top = y->max();
        y->setMax(top * 10); // the band: a decade above every latency
        for (int r = 0; r < m_runs.size(); ++r) {
            for (int k = 0; k < int(std::size(kProblemKinds)); ++k) {
                QList<QPointF> points;
                QStringList texts;
                for (const Mark &m : std::as_const(marks)) {
                    if (m.run == r && m.kind == k) {
                        points << QPointF(m.at.x(), bandY(top, k));
                        texts << m.text;
                    }
                }
                if (points.isEmpty()) {
                    continue;
                }
                // One legend entry per outcome: the marks of both runs look alike, their column and
                // the hover tell the runs apart (the legend is already long with two runs' targets).
                QScatterSeries *series = problemSeries(kProblemKinds[k], tr(kProblemKinds[k].name));
                series->replace(points);
                connect(series, &QScatterSeries::hovered, this, [this, points, texts](const QPointF &p, bool on) {
                    if (const qsizetype i = nearest(points, p); on && i >= 0) {
                        showHover(texts.at(i));
                    }
                });
                chart->addSeries(series);
                series->attachAxis(x);
                series->attachAxis(y);
                hideRepeatedLegendEntry(chart, series);
            }
        }
    }
    chart->legend()->setVisible(!seriesList.isEmpty());
}

void ResultCharts::buildPhases()
{
    QChart *chart = m_views[Phases]->chart();
    chart->removeAllSeries();
    for (QAbstractAxis *a : chart->axes()) {
        chart->removeAxis(a);
        delete a;
    }
    chart->setTitle(tr("Where the time goes: mean of each phase over the passing samples (HTTP probes)"));
    const QStringList probes = allProbes();
    const QStringList targets = allTargets();
    QStringList categories;
    QList<QMap<QString, double>> values;
    QStringList phases;
    for (const QString &probe : probes) {
        for (const QString &target : targets) {
            for (int r = 0; r < m_runs.size(); ++r) {
                const auto mean = runstats::meanPhases(m_runs.at(r).run, probe, target);
                if (mean.isEmpty()) {
                    continue;
                }
                // Short labels: the axis elides long ones. The target only when there are several.
                QString category = targets.size() > 1 ? QStringLiteral("%1 @ %2").arg(probe, target) : probe;
                if (!m_runs.at(r).label.isEmpty()) {
                    category += QStringLiteral(" (%1)").arg(m_runs.at(r).label);
                }
                categories << category;
                values << mean;
                for (auto it = mean.cbegin(); it != mean.cend(); ++it) {
                    if (!phases.contains(it.key())) {
                        phases << it.key();
                    }
                }
            }
        }
    }
    phases = runstats::phaseOrder(phases);
    auto *series = new QStackedBarSeries;
    double max = 0;
    for (int p = 0; p < phases.size(); ++p) {
        auto *set = new QBarSet(phaseLabel(phases.at(p)));
        set->setColor(kTargetColors[(p + 2) % std::size(kTargetColors)]);
        for (const auto &v : std::as_const(values)) {
            set->append(v.value(phases.at(p)));
        }
        series->append(set);
        connect(set, &QBarSet::hovered, this, [this, set, categories](bool on, int index) {
            if (on && index >= 0 && index < categories.size()) {
                showHover(
                    tr("%1, %2: %3").arg(categories.at(index), set->label(), MatrixModel::formatMs(set->at(index))));
            }
        });
    }
    for (const auto &v : std::as_const(values)) {
        double sum = 0;
        for (double d : v) {
            sum += d;
        }
        max = std::max(max, sum);
    }
    auto *x = categoryAxis(categories);
    auto *y = valueAxis(tr("time (ms)"), max);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    chart->addSeries(series);
    series->attachAxis(x);
    series->attachAxis(y);
    chart->legend()->setVisible(!phases.isEmpty());
}

void ResultCharts::buildSuccess()
{
    QChart *chart = m_views[SuccessRate]->chart();
    chart->removeAllSeries();
    for (QAbstractAxis *a : chart->axes()) {
        chart->removeAxis(a);
        delete a;
    }
    chart->setTitle(tr("Success rate per probe"));
    const QStringList probes = allProbes();
    const QStringList targets = allTargets();
    auto *series = new QBarSeries;
    for (int r = 0; r < m_runs.size(); ++r) {
        for (int t = 0; t < targets.size(); ++t) {
            auto *set = new QBarSet(seriesName(r, targets.at(t)));
            set->setColor(colorFor(r, t));
            for (const QString &probe : probes) {
                const double rate = runstats::successRate(m_runs.at(r).run, probe, targets.at(t));
                set->append(rate < 0 ? 0 : rate * 100.0);
            }
            series->append(set);
            const QString target = targets.at(t);
            connect(set, &QBarSet::hovered, this, [this, set, probes, target, r](bool on, int index) {
                if (!on || index < 0 || index >= probes.size() || r >= m_runs.size()) {
                    return;
                }
                const OutcomeCounts outcome = runstats::outcomes(m_runs.at(r).run, probes.at(index), target);
                // A bar of 0 is also what a probe that never ran looks like: the words tell them apart.
                showHover(outcome.ran() == 0
                        ? tr("%1 on %2: not run (%3)").arg(probes.at(index), set->label(), outcome.toText())
                        : tr("%1 on %2: %3 % passed (%4)")
                              .arg(probes.at(index), set->label())
                              .arg(qRound(set->at(index)))
                              .arg(outcome.toText()));
            });
        }
    }
    auto *x = categoryAxis(probes);
    auto *y = new QValueAxis;
    y->setRange(0, 100);
    y->setTitleText(tr("passed (%)"));
    y->setLabelFormat(QStringLiteral("%d"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    chart->addSeries(series);
    series->attachAxis(x);
    series->attachAxis(y);
    chart->legend()->setVisible(!series->barSets().isEmpty());
}

void ResultCharts::buildTimeline()
{
    QChart *chart = m_views[Timeline]->chart();
    chart->removeAllSeries();
    for (QAbstractAxis *a : chart->axes()) {
        chart->removeAxis(a);
        delete a;
    }
    chart->setTitle(tr("Latency per repetition of the passing samples, marks above = did not pass (drag to zoom, "
                       "right click to zoom out)"));
    const QStringList probes = allProbes();
    const QStringList targets = allTargets();
    double maxX = 1;
    double maxY = 0;
    double minY = INFINITY;
    QList<QLineSeries *> seriesList;
    int colorIndex = 0;
    for (const QString &probe : probes) {
        for (int t = 0; t < targets.size(); ++t, ++colorIndex) {
            for (int r = 0; r < m_runs.size(); ++r) {
                const QList<QPointF> points = runstats::timeline(m_runs.at(r).run, probe, targets.at(t));
                if (points.isEmpty()) {
                    continue;
                }
                auto *series = new QLineSeries;
                series->setName(
                    seriesName(r, targets.size() > 1 ? QStringLiteral("%1 on %2").arg(probe, targets.at(t)) : probe));
                QList<QPointF> shown = points;
                for (QPointF &p : shown) {
                    p.setY(onLog(p.y()));
                }
                series->replace(shown);
                series->setPointsVisible(points.size() <= 200);
                QPen pen(colorFor(r, colorIndex));
                pen.setWidthF(1.6);
                if (m_runs.size() > 1 && r == 0) {
                    pen.setStyle(Qt::DashLine); // "before" dashed: tells the runs apart without colour
                }
                series->setPen(pen);
                for (const QPointF &p : std::as_const(shown)) {
                    maxX = std::max(maxX, p.x());
                    maxY = std::max(maxY, p.y());
                    minY = std::min(minY, p.y());
                }
                const QString name = series->name();
                connect(series, &QLineSeries::hovered, this, [this, name, points](const QPointF &p, bool on) {
                    // the real latency, not the value clamped for the log axis
                    if (const qsizetype i = nearest(points, p); on && i >= 0) {
                        showHover(tr("%1, repetition %2: passed in %3")
                                      .arg(name)
                                      .arg(qRound(points.at(i).x()))
                                      .arg(MatrixModel::formatMs(points.at(i).y())));
                    }
                });
                seriesList << series;
            }
        }
    }
    // The repetitions that did not pass: marks in the band above, never points on a latency line.
    struct Mark {
        int run;
        int kind;
        double x;
        QString text;
    };
    QList<Mark> marks;
    for (const QString &probe : probes) {
        for (const QString &target : targets) {
            for (int r = 0; r < m_runs.size(); ++r) {
                const QString what
                    = seriesName(r, targets.size() > 1 ? QStringLiteral("%1 on %2").arg(probe, target) : probe);
                for (const OutcomePoint &op : runstats::timelineProblems(m_runs.at(r).run, probe, target)) {
                    for (int k = 0; k < int(std::size(kProblemKinds)); ++k) {
                        if (kProblemKinds[k].status != op.status) {
                            continue;
                        }
                        QString text
                            = tr("%1, repetition %2: %3").arg(what).arg(op.repetition).arg(tr(kProblemKinds[k].name));
                        if (op.status != SampleStatus::Skipped) {
                            text += tr(" after %1").arg(MatrixModel::formatMs(op.elapsedMs));
                        }
                        if (!op.message.isEmpty()) {
                            text += QStringLiteral(" (%1)").arg(op.message.simplified().left(120));
                        }
                        marks << Mark { r, k, double(op.repetition), text };
                        maxX = std::max(maxX, double(op.repetition));
                    }
                }
            }
        }
    }
    auto *x = new QValueAxis;
    x->setTitleText(tr("repetition"));
    // A little room either side: the marks and points of the first and last repetition are not cut in half.
    x->setRange(0.85, std::max(2.0, maxX) + 0.15);
    x->setLabelFormat(QStringLiteral("%d"));
    x->setTickType(QValueAxis::TicksDynamic);
    x->setTickAnchor(1);
    x->setTickInterval(std::max(1.0, std::ceil(maxX / 10)));
    auto *y = logAxis(tr("latency (ms, log)"), std::isfinite(minY) ? minY : 1, maxY);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    for (QLineSeries *s : std::as_const(seriesList)) {
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
    }
    int markSeries = 0;
    if (!marks.isEmpty()) {
        const double top = y->max();
        y->setMax(top * 10);
        for (int r = 0; r < m_runs.size(); ++r) {
            for (int k = 0; k < int(std::size(kProblemKinds)); ++k) {
                QList<QPointF> points;
                QStringList texts;
                for (const Mark &m : std::as_const(marks)) {
                    if (m.run == r && m.kind == k) {
                        points << QPointF(m.x, bandY(top, k));
                        texts << m.text;
                    }
                }
                if (points.isEmpty()) {
                    continue;
                }
                // One legend entry per outcome: the marks of both runs look alike, their column and
                // the hover tell the runs apart (the legend is already long with two runs' targets).
                QScatterSeries *series = problemSeries(kProblemKinds[k], tr(kProblemKinds[k].name));
                series->setMarkerSize(points.size() > 200 ? 6 : 9);
                series->replace(points);
                // Several probes can miss the same repetition: the hover lists every one there.
                connect(series, &QScatterSeries::hovered, this, [this, points, texts](const QPointF &p, bool on) {
                    const qsizetype i = nearest(points, p);
                    if (!on || i < 0) {
                        return;
                    }
                    QStringList here;
                    for (qsizetype j = 0; j < points.size(); ++j) {
                        if (points.at(j) == points.at(i)) {
                            here << texts.at(j);
                        }
                    }
                    showHover(here.join(QStringLiteral("; ")));
                });
                chart->addSeries(series);
                series->attachAxis(x);
                series->attachAxis(y);
                markSeries += hideRepeatedLegendEntry(chart, series) ? 0 : 1;
            }
        }
    }
    // Antialiasing thousands of segments makes each repaint (hover, zoom) cost tens of ms; past a
    // few thousand points the lines are dense enough that it adds nothing visible.
    qsizetype pointCount = 0;
    for (QLineSeries *s : std::as_const(seriesList)) {
        pointCount += s->count();
    }
    m_views[Timeline]->setRenderHint(QPainter::Antialiasing, pointCount <= 2000);
    // A legend of dozens of lines hides the chart; the hover line names each one instead.
    chart->legend()->setVisible(!seriesList.isEmpty() && seriesList.size() + markSeries <= 12);
}

bool ResultCharts::exportChart(Chart which, const QString &path) const
{
    QChartView *view = m_views[which];
    const QSize size = view->size().isEmpty() ? QSize(900, 560) : view->size();
    if (path.endsWith(QLatin1String(".svg"), Qt::CaseInsensitive)) {
        QSvgGenerator svg;
        svg.setFileName(path);
        svg.setSize(size);
        svg.setViewBox(QRect(QPoint(0, 0), size));
        svg.setTitle(view->chart()->title());
        svg.setDescription(QStringLiteral("Nestscope chart"));
        QPainter painter;
        if (!painter.begin(&svg)) {
            return false;
        }
        view->render(&painter, QRectF(QPointF(0, 0), size), QRect(QPoint(0, 0), size));
        return painter.end();
    }
    return view->grab().save(path);
}

void ResultCharts::exportCurrent()
{
    const auto which = Chart(m_tabs->currentIndex());
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Chart"),
        QStringLiteral("nestscope-%1.png")
            .arg(m_tabs->tabText(which).toLower().replace(QLatin1Char(' '), QLatin1Char('-'))),
        tr("PNG image (*.png);;SVG drawing (*.svg)"));
    if (!path.isEmpty() && !exportChart(which, path)) {
        showHover(tr("Could not write %1").arg(path));
    }
}

} // namespace nestscope
