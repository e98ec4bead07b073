#pragma once

#include "results/sample.h"

#include <QList>
#include <QWidget>

class QChart;
class QChartView;
class QLabel;
class QTabWidget;
class QTimer;

namespace nestscope {

/// Charts of one run, or of two overlaid (before / after), with every target side by side per
/// probe: latency box plots, phase breakdown (stacked bars), success rate and a timeline per
/// repetition. Colours follow the palette; hovering shows the values; each chart exports as PNG or SVG.
class ResultCharts final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResultCharts)
public:
    enum Chart { Latency, Phases, SuccessRate, Timeline, ChartCount };

    struct LabelledRun {
        QString label; ///< "before", "after", a run name; empty for a single run
        Run run;
    };

    explicit ResultCharts(QWidget *parent = nullptr);

    void setRuns(const QList<LabelledRun> &runs);
    void setRun(const Run &run) { setRuns({ { QString(), run } }); }
    /// For a run in progress: redraws at most twice a second, however fast samples arrive.
    void setLiveRun(const Run &run);
    void clear() { setRuns({}); }

    QChart *chart(Chart which) const;
    QChartView *chartView(Chart which) const;
    QTabWidget *tabs() const { return m_tabs; }
    /// What the mouse last pointed at, in words ("http-slow on runner: p50 1.50 s ...").
    QString hoverText() const;

    /// Writes the chart as PNG (or any raster format Qt knows by the suffix) or SVG (".svg").
    bool exportChart(Chart which, const QString &path) const;

protected:
    void changeEvent(QEvent *event) override;

private:
    void rebuild();
    void buildLatency();
    void buildPhases();
    void buildSuccess();
    void buildTimeline();
    void applyPalette(QChart *chart) const;
    void exportCurrent();
    void showHover(const QString &text);
    QColor colorFor(int runIndex, int seriesIndex) const;
    QString seriesName(int runIndex, const QString &what) const;
    QStringList allTargets() const;
    QStringList allProbes() const;

    QList<LabelledRun> m_runs;
    QTabWidget *m_tabs;
    QChartView *m_views[ChartCount] = {};
    QLabel *m_hover;
    QTimer *m_liveTimer;
    Run m_pendingLive;
};

} // namespace nestscope
