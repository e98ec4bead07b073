#pragma once

#include <QStyledItemDelegate>

namespace nestscope {

/// Paints a matrix cell as a tile coloured by pass rate, with the median latency and the
/// pass count, so a failing column stands out before anyone reads a number.
class HeatmapDelegate final : public QStyledItemDelegate {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HeatmapDelegate)
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace nestscope
