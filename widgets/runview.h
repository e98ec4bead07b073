#pragma once

#include "results/sample.h"

#include <QWidget>

class QComboBox;
class QTableView;

namespace nestscope {

class MatrixFilterModel;
class MatrixModel;
class MatrixPanel;
class ResultCharts;
class SampleDetails;

/// One stored run on its own: the matrix (filter by status, copy as Markdown, click a cell for
/// its samples) above its charts.
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

public Q_SLOTS:
    /// Puts the matrix on the clipboard as a Markdown table.
    void copyMarkdown();

private:
    void showCell(const QModelIndex &index);

    Run m_run;
    MatrixPanel *m_panel;
    SampleDetails *m_details;
    ResultCharts *m_charts;
};

} // namespace nestscope
