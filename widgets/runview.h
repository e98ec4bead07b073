#pragma once

#include "results/sample.h"

#include <QWidget>

class QComboBox;
class QTableView;
class QTabWidget;

namespace nestscope {

class FindingsPanel;
class MatrixFilterModel;
class MatrixModel;
class MatrixPanel;
class ResultCharts;
class TopologyView;
class SampleDetails;

/// One stored run on its own: the matrix (filter by status, copy as Markdown, click a cell for
/// its samples) above its findings, its charts and, when the run kept one, the topology it met,
/// its edges coloured by the run's results.
class RunView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunView)
public:
    explicit RunView(QWidget *parent = nullptr);

    void setRun(const Run &run, const QString &title);
    const Run &run() const { return m_run; }

    MatrixPanel *matrixPanel() const { return m_panel; }
    MatrixModel *matrixModel() const;
    MatrixFilterModel *filterModel() const;
    QTableView *matrixView() const;
    QComboBox *showFilter() const;
    ResultCharts *charts() const { return m_charts; }
    /// The topology snapshot kept with the run; null when the run has none.
    TopologyView *topologyView() const { return m_topology; }
    QTabWidget *lowerTabs() const { return m_lower; }
    /// The run's findings (diagnosed with its own topology snapshot).
    FindingsPanel *findings() const { return m_findings; }

public Q_SLOTS:
    /// Puts the matrix on the clipboard as a Markdown table.
    void copyMarkdown();

private:
    void showCell(const QModelIndex &index);

    Run m_run;
    MatrixPanel *m_panel;
    SampleDetails *m_details;
    ResultCharts *m_charts;
    QTabWidget *m_lower;
    TopologyView *m_topology = nullptr;
    FindingsPanel *m_findings;
};

} // namespace nestscope
