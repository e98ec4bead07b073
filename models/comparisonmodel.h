#pragma once

#include "results/comparison.h"

#include <QAbstractTableModel>

namespace nestscope {

/// The diff matrix of two runs: probes as rows, targets as columns, each cell saying how it
/// changed ("fixed", "4.81 s → 41 ms") and coloured by the change.
class ComparisonModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ComparisonModel)
public:
    enum Role {
        ChangeRole = Qt::UserRole, ///< CellChange as int
        ChangeTextRole, ///< "fixed", "broke", ...
        BeforeMedianRole, ///< double ms
        AfterMedianRole, ///< double ms
    };

    explicit ComparisonModel(QObject *parent = nullptr);

    void setComparison(const Comparison &comparison);
    const Comparison &comparison() const { return m_comparison; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QColor colorFor(CellChange change);

private:
    Comparison m_comparison;
};

} // namespace nestscope
