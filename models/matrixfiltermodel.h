#pragma once

#include <QSortFilterProxyModel>

namespace nestscope {

/// Filters the rows of a MatrixModel by how their cells went, so that in a plan of fifty probes
/// the three that fail are what is left. Follows a live matrix: rows come and go as samples arrive.
class MatrixFilterModel final : public QSortFilterProxyModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MatrixFilterModel)
public:
    enum class Show {
        All,
        Problems, ///< rows with at least one sample that did not pass (fail, timeout, error)
        Failing, ///< rows with a cell where nothing passed
    };

    explicit MatrixFilterModel(QObject *parent = nullptr);

    void setShow(Show show);
    Show show() const { return m_show; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    Show m_show = Show::All;
};

} // namespace nestscope
