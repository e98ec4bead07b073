#include "reportdialog.h"

#include "common/savefile.h"
#include "report/reportpdf.h"
#include "results/runstore.h"

#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGuiApplication>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTextBrowser>
#include <QUrl>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace nestscope {

ReportDialog::ReportDialog(QList<Source> sources, QWidget *parent)
    : QDialog(parent)
    , m_sources(std::move(sources))
{
    setWindowTitle(tr("Export Report"));
    m_run = new QComboBox(this);
    m_later = new QComboBox(this);
    m_later->addItem(tr("None: no verification"));
    for (const Source &s : std::as_const(m_sources)) {
        m_run->addItem(s.label);
        m_later->addItem(s.label);
    }
    m_later->setToolTip(tr("A run made after the fix: the report then says which cells it fixed, which broke "
                           "and which still fail"));
    m_format = new QComboBox(this);
    m_format->addItem(tr("Markdown (GitHub)"), int(Format::Markdown));
    m_format->addItem(tr("HTML (one self-contained file)"), int(Format::Html));
    m_format->addItem(tr("PDF"), int(Format::Pdf));
    m_format->setCurrentIndex(1);

    auto *form = new QFormLayout;
    form->addRow(tr("&Run:"), m_run);
    form->addRow(tr("&Verify with the later run:"), m_later);
    form->addRow(tr("&Format:"), m_format);

    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_preview = new QTextBrowser(this);
    m_preview->setOpenLinks(false); // the report holds no links to follow; nothing leaves the machine
    m_preview->setMinimumSize(640, 420);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_save = buttons->addButton(tr("&Save…"), QDialogButtonBox::AcceptRole);
    m_copy = buttons->addButton(tr("&Copy as Markdown"), QDialogButtonBox::ActionRole);
    disconnect(buttons, &QDialogButtonBox::accepted, nullptr, nullptr);
    connect(m_save, &QPushButton::clicked, this, &ReportDialog::save);
    connect(m_copy, &QPushButton::clicked, this, &ReportDialog::copyMarkdown);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_status);
    layout->addWidget(m_preview, 1);
    layout->addWidget(buttons);

    connect(m_run, &QComboBox::currentIndexChanged, this, &ReportDialog::rebuild);
    connect(m_later, &QComboBox::currentIndexChanged, this, &ReportDialog::rebuild);
    connect(m_format, &QComboBox::currentIndexChanged, this, &ReportDialog::updatePreview);
    rebuild();
}

ReportDialog::~ReportDialog() = default;

QList<ReportDialog::Source> ReportDialog::sourcesFor(const Run &current, const RunStore *store)
{
    QList<Source> sources;
    if (!current.samples.isEmpty()) {
        sources << Source { tr("The current run (%1, %2 samples)").arg(current.planName).arg(current.samples.size()),
            [current]() -> Result<Run> {
                return current;
            } };
    }
    if (store && store->isOpen()) {
        QList<RunInfo> runs = store->runs();
        std::sort(runs.begin(), runs.end(), [](const RunInfo &a, const RunInfo &b) {
            return a.startedAt > b.startedAt;
        });
        for (const RunInfo &info : std::as_const(runs)) {
            const qint64 id = info.id;
            sources << Source {
                tr("Stored: %1 on %2 (%3 samples)").arg(info.displayName(), info.host).arg(info.samples),
                [store, id]() {
                    return store->loadRun(id);
                },
                [store, id]() {
                    QList<Experiment> tried = store->experiments();
                    tried.removeIf([id](const Experiment &e) {
                        return e.baselineRun != id;
                    });
                    return tried;
                }
            };
        }
    }
    return sources;
}

void ReportDialog::select(int run, int later)
{
    const QSignalBlocker blockRun(m_run);
    const QSignalBlocker blockLater(m_later);
    m_run->setCurrentIndex(run);
    m_later->setCurrentIndex(later + 1);
    rebuild();
}

void ReportDialog::setFormat(Format format)
{
    m_format->setCurrentIndex(m_format->findData(int(format)));
}

ReportDialog::Format ReportDialog::format() const
{
    return Format(m_format->currentData().toInt());
}

void ReportDialog::rebuild()
{
    m_report.reset();
    m_building = false;
    ++m_generation; // a report still being built for the previous choice is not shown
    const int runIndex = m_run->currentIndex();
    const int laterIndex = m_later->currentIndex() - 1;
    if (runIndex < 0 || runIndex >= m_sources.size()) {
        m_status->setText(tr("There is no run to report on yet: run the plan, or open a stored run."));
        updatePreview();
        return;
    }
    const auto run = m_sources.at(runIndex).load();
    if (!run) {
        m_status->setText(tr("Cannot read the run: %1").arg(run.error().toString()));
        updatePreview();
        return;
    }
    std::optional<Run> later;
    if (laterIndex >= 0 && laterIndex < m_sources.size()) {
        auto l = m_sources.at(laterIndex).load();
        if (!l) {
            m_status->setText(tr("Cannot read the later run: %1").arg(l.error().toString()));
            updatePreview();
            return;
        }
        later = std::move(l).value();
    }
    if (run->samples.isEmpty()) {
        m_status->setText(tr("This run has no samples yet: the report would be empty."));
    } else {
        m_status->setText(later && laterIndex == runIndex
                ? tr("The later run is the run itself: pick the run made after the fix to verify it.")
                : QString());
    }
    // The experiments are read here, on the store's thread.
    const Source &source = m_sources.at(runIndex);
    const QList<Experiment> experiments = source.experiments ? source.experiments() : QList<Experiment> {};
    // The diagnosis and the Graphviz layout of a large runner take a while: off the GUI thread. A
    // result that a newer choice has overtaken is dropped.
    const int generation = ++m_generation;
    m_building = true;
    updatePreview();
    auto *watcher = new QFutureWatcher<Report>(this);
    connect(watcher, &QFutureWatcher<Report>::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != m_generation) {
            return;
        }
        m_building = false;
        m_report = watcher->result();
        updatePreview();
        Q_EMIT reportReady();
    });
    watcher->setFuture(QtConcurrent::run([run = std::move(run).value(), later = std::move(later), experiments] {
        ReportInput input;
        input.run = &run;
        input.later = later ? &*later : nullptr;
        input.experiments = experiments;
        return buildReport(input);
    }));
}

void ReportDialog::updatePreview()
{
    m_save->setEnabled(m_report.has_value());
    m_copy->setEnabled(m_report.has_value());
    if (!m_report) {
        if (m_building) {
            m_preview->setPlainText(tr("Preparing the report…"));
        } else {
            m_preview->clear();
        }
        return;
    }
    if (format() == Format::Markdown) {
        m_preview->setPlainText(QString::fromUtf8(reportToMarkdown(*m_report)));
        return;
    }
    // The HTML and the PDF as QTextDocument lays them out: the PDF is made from exactly this.
    QTextDocument *doc = m_preview->document();
    for (const QString &figure : { QStringLiteral("topology"), QStringLiteral("latency"), QStringLiteral("success") }) {
        QImage image = reportFigureImage(*m_report, figure, 1.0);
        // As on paper, a figure is at most as wide as the text.
        const int width = std::max(200, m_preview->viewport()->width() - 40);
        if (image.width() > width) {
            image = image.scaledToWidth(width, Qt::SmoothTransformation);
        }
        if (!image.isNull()) {
            doc->addResource(QTextDocument::ImageResource, QUrl(QStringLiteral("figure:") + figure), image);
        }
    }
    m_preview->setHtml(QString::fromUtf8(reportToHtml(*m_report, HtmlFlavour::TextDocument)));
}

QString ReportDialog::previewText() const
{
    return m_preview->toPlainText();
}

QByteArray ReportDialog::rendered() const
{
    if (!m_report) {
        return {};
    }
    switch (format()) {
    case Format::Markdown:
        return reportToMarkdown(*m_report);
    case Format::Html:
        return reportToHtml(*m_report);
    case Format::Pdf:
        return reportToPdf(*m_report);
    }
    return {};
}

QString ReportDialog::saveTo(const QString &path) const
{
    if (!m_report) {
        return tr("there is no report to save");
    }
    if (const QString why = cannotWrite(path); !why.isEmpty()) {
        return why;
    }
    QString error;
    QByteArray bytes;
    if (format() == Format::Pdf) {
        bytes = reportToPdf(*m_report, &error);
        if (bytes.isEmpty()) {
            return error;
        }
    } else {
        bytes = rendered();
    }
    return writeWholeFile(path, bytes);
}

void ReportDialog::save()
{
    const Format f = format();
    const QString suffix = f == Format::Markdown ? QStringLiteral("md")
        : f == Format::Html                      ? QStringLiteral("html")
                                                 : QStringLiteral("pdf");
    const QString filter = f == Format::Markdown ? tr("Markdown (*.md)")
        : f == Format::Html                      ? tr("HTML (*.html)")
                                                 : tr("PDF (*.pdf)");
    const QString path
        = QFileDialog::getSaveFileName(this, tr("Save Report"), QStringLiteral("nestscope-report.") + suffix, filter);
    if (path.isEmpty()) {
        return;
    }
    if (const QString why = saveTo(path); !why.isEmpty()) {
        QMessageBox::warning(
            this, tr("Save Report"), tr("Cannot write %1: %2\nPick another folder or file name.").arg(path, why));
        return;
    }
    m_status->setText(tr("Saved %1.").arg(path));
}

void ReportDialog::copyMarkdown()
{
    if (m_report) {
        QGuiApplication::clipboard()->setText(QString::fromUtf8(reportToMarkdown(*m_report)));
        m_status->setText(tr("The report is on the clipboard as Markdown."));
    }
}

} // namespace nestscope
