#include "reportpdf.h"

#include <QAbstractTextDocumentLayout>
#include <QBuffer>
#include <QGuiApplication>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgRenderer>
#include <QTextDocument>
#include <QUrl>

#include <algorithm>

namespace nestscope {

namespace {

QByteArray figureSvg(const Report &report, const QString &figure)
{
    if (figure == QLatin1String("topology")) {
        return topologyFigureSvg(report);
    }
    if (figure == QLatin1String("latency")) {
        return latencyChartSvg(report);
    }
    if (figure == QLatin1String("success")) {
        return successChartSvg(report);
    }
    return {};
}

} // namespace

QImage reportFigureImage(const Report &report, const QString &figure, qreal scale)
{
    const QByteArray svg = figureSvg(report, figure);
    if (svg.isEmpty()) {
        return {};
    }
    QSvgRenderer renderer(svg);
    if (!renderer.isValid()) {
        return {};
    }
    const QSizeF size = renderer.viewBoxF().size();
    // A huge topology (thousands of instances) still gives a picture a PDF viewer can open.
    const qreal maxSide = 12000;
    const qreal s = std::min(scale, maxSide / std::max({ size.width(), size.height(), 1.0 }));
    QImage image((size * s).toSize(), QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::TextAntialiasing);
    renderer.render(&painter, QRectF(QPointF(0, 0), size * s));
    painter.end();
    return image;
}

QByteArray reportToPdf(const Report &report, QString *error)
{
    if (!qobject_cast<QGuiApplication *>(QCoreApplication::instance())) {
        // Fonts need one; without it Qt aborts in the middle of the layout.
        if (error) {
            *error = QStringLiteral("a PDF needs a QGuiApplication (fonts); this program made none");
        }
        return {};
    }
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    {
        QPdfWriter writer(&buffer);
        writer.setResolution(300);
        writer.setPageSize(QPageSize(QPageSize::A4));
        writer.setPageMargins(QMarginsF(16, 14, 16, 14), QPageLayout::Millimeter);
        writer.setTitle(report.title);
        writer.setCreator(QStringLiteral("Nestscope %1").arg(QStringLiteral(NESTSCOPE_VERSION)));

        QTextDocument doc;
        doc.documentLayout()->setPaintDevice(&writer);
        QFont font(QStringLiteral("DejaVu Sans"));
        font.setPointSizeF(9);
        // Hinting snaps glyphs to a screen's pixels; at 300 dpi it only costs time (FreeType's bytecode).
        font.setHintingPreference(QFont::PreferNoHinting);
        doc.setDefaultFont(font);
        // Figures: the same SVG the HTML inlines, drawn at about 300 dpi; the document shows them at
        // most as wide as the text (in CSS pixels, which QTextDocument scales to the writer).
        const qreal cssPerDevice = 96.0 / writer.resolution();
        const qreal textWidthCss = writer.width() * cssPerDevice;
        const qreal footerHeight = writer.resolution() * 0.35; // about 9 mm
        const qreal bodyHeight = writer.height() - footerHeight;
        QString html = QString::fromUtf8(reportToHtml(report, HtmlFlavour::TextDocument));
        // Each figure is shown at its own size, shrunk to the text width and to most of a page's
        // height, and drawn for that size at the writer's resolution: a figure of a large runner
        // drawn at its full size would cost seconds and megabytes for pixels nobody sees.
        for (const QString &figure :
            { QStringLiteral("topology"), QStringLiteral("latency"), QStringLiteral("success") }) {
            const QByteArray svg = figureSvg(report, figure);
            QSvgRenderer renderer(svg);
            const QSizeF natural = renderer.viewBoxF().size(); // SVG units as CSS pixels
            if (svg.isEmpty() || !renderer.isValid() || natural.isEmpty()) {
                continue;
            }
            const qreal aspect = natural.height() / natural.width();
            const qreal w = std::min({ natural.width(), textWidthCss, bodyHeight * cssPerDevice * 0.85 / aspect });
            const QSize pixels = (QSizeF(w, w * aspect) / cssPerDevice).toSize().expandedTo(QSize(1, 1));
            QImage image(pixels, QImage::Format_RGB32);
            image.fill(Qt::white);
            QPainter painter(&image);
            painter.setRenderHint(QPainter::Antialiasing);
            painter.setRenderHint(QPainter::TextAntialiasing);
            renderer.render(&painter, QRectF(QPointF(0, 0), QSizeF(pixels)));
            painter.end();
            doc.addResource(QTextDocument::ImageResource, QUrl(QStringLiteral("figure:") + figure), image);
            html.replace(QStringLiteral("<img src=\"figure:%1\"/>").arg(figure),
                QStringLiteral("<img src=\"figure:%1\" width=\"%2\" height=\"%3\"/>")
                    .arg(figure)
                    .arg(qRound(w))
                    .arg(qRound(w * aspect)));
        }
        doc.setHtml(html);
        doc.setPageSize(QSizeF(writer.width(), bodyHeight));

        const int pages = doc.pageCount();
        const QString date = report.run.startedAt.isValid()
            ? report.run.startedAt.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"))
            : QStringLiteral("date unknown");
        QPainter painter;
        if (!painter.begin(&writer)) {
            if (error) {
                *error = QStringLiteral("the PDF writer could not start a page");
            }
            return {};
        }
        QFont footerFont = font;
        footerFont.setPointSizeF(7.5);
        for (int page = 0; page < pages; ++page) {
            if (page > 0) {
                writer.newPage();
            }
            painter.save();
            painter.translate(0, -page * bodyHeight);
            doc.drawContents(&painter, QRectF(0, page * bodyHeight, writer.width(), bodyHeight));
            painter.restore();
            painter.setFont(footerFont);
            painter.setPen(QColor(0x59, 0x63, 0x6e));
            const QRectF footer(0, bodyHeight + footerHeight * 0.3, writer.width(), footerHeight * 0.7);
            painter.drawText(
                footer, Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("%1 · run of %2").arg(report.title, date));
            painter.drawText(
                footer, Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("page %1 of %2").arg(page + 1).arg(pages));
        }
        painter.end();
    }
    if (bytes.isEmpty() && error) {
        *error = QStringLiteral("the PDF writer produced nothing");
    }
    return bytes;
}

} // namespace nestscope
