#pragma once

#include "results/sample.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QTableView;

namespace nestscope {

class MatrixFilterModel;
class MatrixModel;
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

    MatrixModel *matrixModel() const { return m_model; }
    MatrixFilterModel *filterModel() const { return m_filter; }
    QTableView *matrixView() const { return m_view; }
    QComboBox *showFilter() const { return m_show; }
    ResultCharts *charts() const { return m_charts; }

public Q_SLOTS:
    /// Puts the matrix on the clipboard as a Markdown table.
    void copyMarkdown();

private:
    void showCell(const QModelIndex &index);

    Run m_run;
    QLabel *m_title;
    MatrixModel *m_model;
    MatrixFilterModel *m_filter;
    QComboBox *m_show;
    QTableView *m_view;
    SampleDetails *m_details;
    ResultCharts *m_charts;
};

} // namespace nestscope
