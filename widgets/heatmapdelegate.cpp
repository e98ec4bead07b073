#include "heatmapdelegate.h"

#include "matrixmodel.h"

#include <QApplication>
#include <QFontMetrics>
#include <QPainter>
#include <QPainterPath>

namespace nestscope {

void HeatmapDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const auto cell = index.data(MatrixModel::CellRole).value<MatrixCell>();
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    const QRectF tile = QRectF(option.rect).adjusted(2, 2, -2, -2);
    const QPalette &pal = option.palette;

    QPainterPath path;
    path.addRoundedRect(tile, 4, 4);
    if (cell.isEmpty()) {
        painter->fillPath(path, pal.color(QPalette::AlternateBase));
        painter->setPen(pal.color(QPalette::PlaceholderText));
        painter->drawText(tile, Qt::AlignCenter, cell.skipped > 0 ? tr("skipped") : QStringLiteral("…"));
    } else {
        painter->fillPath(path, MatrixModel::colorForPassRate(cell.passRate()));
        painter->setPen(QColor(20, 20, 20));
        QFont bold = option.font;
        bold.setBold(true);
        // The headline is what the cell is about: the latency of a cell that passed every time, the
        // pass count of one that did not (whose median is partly how long its failures took),
        // with what went wrong under it.
        const QString rate = tr("%1/%2 pass").arg(cell.passed).arg(cell.total);
        QString headline = MatrixModel::formatMs(cell.medianMs);
        QString detail = rate;
        if (cell.passed < cell.total) {
            headline = rate;
            QStringList problems;
            if (cell.failed > 0) {
                problems << tr("%1 failed").arg(cell.failed);
            }
            if (cell.timeouts > 0) {
                problems << tr("%1 timed out").arg(cell.timeouts);
            }
            if (cell.errors > 0) {
                problems << tr("%1 error").arg(cell.errors);
            }
            detail = problems.join(QStringLiteral(" · "));
        }
        const QRectF top(tile.left(), tile.top() + 2, tile.width(), tile.height() / 2);
        const QRectF bottom(tile.left(), tile.center().y(), tile.width(), tile.height() / 2 - 2);
        painter->setFont(bold);
        painter->drawText(top, Qt::AlignHCenter | Qt::AlignBottom, headline);
        painter->setFont(option.font);
        painter->drawText(bottom, Qt::AlignHCenter | Qt::AlignTop,
            QFontMetrics(option.font).elidedText(detail, Qt::ElideRight, int(tile.width()) - 4));
    }
    if (index.data(MatrixModel::EvidenceRole).toBool()) {
        // evidence of the finding selected in the Findings panel: a dashed frame of its own colour
        QPen pen(QColor(0x6a, 0x1b, 0x9a), 3, Qt::DashLine);
        painter->setPen(pen);
        painter->drawPath(path);
    }
    if (option.state & QStyle::State_Selected) {
        painter->setPen(QPen(pal.color(QPalette::Highlight), 2.5));
        painter->drawPath(path);
    }
    painter->restore();
}

QSize HeatmapDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    const QFontMetrics fm(option.font);
    return { std::max(110, fm.horizontalAdvance(QStringLiteral("0000/0000 pass")) + 16), fm.height() * 2 + 14 };
}

} // namespace nestscope
