#pragma once

#include "results/comparison.h"
#include "results/sample.h"

#include <QWidget>

class QDoubleSpinBox;
class QLabel;
class QTabWidget;
class QTableView;

namespace nestscope {

class ComparisonModel;
class ResultCharts;
class SampleDetails;

/// Two runs compared: a summary line, the diff matrix (fixed / broke / still failing / slower /
/// faster per cell) with adjustable thresholds, the samples of the chosen cell in both runs, and the
/// charts of both runs overlaid.
class ComparisonView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ComparisonView)
public:
    explicit ComparisonView(QWidget *parent = nullptr);

    void setRuns(const Run &before, const QString &beforeLabel, const Run &after, const QString &afterLabel);
    void setThresholds(ComparisonThresholds thresholds);

    const Comparison &comparison() const;
    ComparisonModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    ResultCharts *charts() const { return m_charts; }
    QString summary() const;
    /// Samples and Charts, under the diff matrix.
    QTabWidget *lowerTabs() const { return m_lower; }
    SampleDetails *beforeSamples() const { return m_beforeSamples; }
    SampleDetails *afterSamples() const { return m_afterSamples; }
    /// Shows the samples of one cell (a row and column of comparison()) from both runs.
    void showCell(int row, int column);

private:
    void recompute();

    Run m_before;
    Run m_after;
    QLabel *m_title;
    QLabel *m_summary;
    QDoubleSpinBox *m_ratio;
    QDoubleSpinBox *m_minDelta;
    ComparisonModel *m_model;
    QTableView *m_view;
    ResultCharts *m_charts;
    QTabWidget *m_lower;
    QLabel *m_beforeHeading;
    QLabel *m_afterHeading;
    SampleDetails *m_beforeSamples;
    SampleDetails *m_afterSamples;
};

} // namespace nestscope
