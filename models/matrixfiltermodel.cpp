#include "matrixfiltermodel.h"

#include "matrixmodel.h"

namespace nestscope {

MatrixFilterModel::MatrixFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setDynamicSortFilter(true); // a cell that turns red mid-run brings its row in
}

void MatrixFilterModel::setShow(Show show)
{
    if (show == m_show) {
        return;
    }
    m_show = show;
    invalidateFilter();
}

bool MatrixFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_show == Show::All) {
        return true;
    }
    const QAbstractItemModel *source = sourceModel();
    for (int c = 0; c < source->columnCount(sourceParent); ++c) {
        const auto cell = source->index(sourceRow, c, sourceParent).data(MatrixModel::CellRole).value<MatrixCell>();
        if (cell.isEmpty()) {
            continue;
        }
        if (m_show == Show::Problems && cell.passed < cell.total) {
            return true;
        }
        if (m_show == Show::Failing && cell.passed == 0) {
            return true;
        }
    }
    return false;
}

} // namespace nestscope
