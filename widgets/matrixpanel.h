#pragma once

#include "plan/plan.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QHBoxLayout;
class QLabel;
class QTableView;

namespace nestscope {

class MatrixFilterModel;
class MatrixModel;

/// The result matrix with what every matrix needs around it: a heading, "Show" (all probes, those
/// with problems, those that never passed), "Split by family" (IPv4 and IPv6 side by side) and
/// "Copy as Markdown". The live matrix of the main window and stored runs both use it.
class MatrixPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MatrixPanel)
public:
    explicit MatrixPanel(QWidget *parent = nullptr);

    MatrixModel *model() const { return m_model; }
    MatrixFilterModel *filterModel() const { return m_filter; }
    QTableView *view() const { return m_view; }
    QComboBox *showFilter() const { return m_show; }
    QCheckBox *splitByFamily() const { return m_split; }
    QLabel *title() const { return m_title; }
    /// The row of controls above the matrix, for callers that add their own.
    QHBoxLayout *controls() const { return m_controls; }

    /// Which family each probe is about, from the plan that ran (probeFamilies()).
    void setProbeFamilies(const QHash<QString, Family> &families);

public Q_SLOTS:
    /// Puts the matrix, as filtered and split on screen, on the clipboard as a Markdown table.
    void copyMarkdown();

Q_SIGNALS:
    void currentCellChanged(const QModelIndex &index);

private:
    QLabel *m_title;
    MatrixModel *m_model;
    MatrixFilterModel *m_filter;
    QComboBox *m_show;
    QCheckBox *m_split;
    QTableView *m_view;
    QHBoxLayout *m_controls;
};

} // namespace nestscope
