#pragma once

#include "report.h"

#include <QByteArray>
#include <QImage>
#include <QString>

namespace nestscope {

/// The report as a paged PDF (A4), written with Qt's own PDF writer: the same content as the
/// HTML (reportToHtml(), HtmlFlavour::TextDocument) laid out by QTextDocument, the same figures
/// rasterised from their SVG, and in each page's footer the page number, the page count and the
/// run's date. Needs a QGuiApplication (fonts); the `offscreen` platform is enough.
/// Returns the PDF's bytes, or an empty array with `*error` set.
QByteArray reportToPdf(const Report &report, QString *error = nullptr);

/// One of the report's figures ("topology", "latency", "success") as an image `scale` times its
/// size in points, on white; a null image when the report has no such figure.
QImage reportFigureImage(const Report &report, const QString &figure, qreal scale = 2.0);

} // namespace nestscope
