#pragma once

#include "common/result.h"
#include "report/report.h"
#include "results/sample.h"

#include <QDialog>
#include <QList>

#include <functional>

class QComboBox;
class QLabel;
class QPushButton;
class QTextBrowser;

namespace nestscope {

class RunStore;

/// File > Export Report…: picks the run (the current one or a stored one) and optionally a later
/// run to verify against, previews the report as it will read, and saves it as Markdown, HTML or
/// PDF, or copies the Markdown. The content comes from core/report, as `nestscope report` writes it.
class ReportDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReportDialog)
public:
    /// A run the dialog offers; loaded only when picked (a stored run is read from the store then).
    struct Source {
        QString label;
        std::function<Result<Run>()> load;
        /// The fixes tried from this run (a stored run's experiments); empty when none is known.
        std::function<QList<Experiment>()> experiments = {};
    };
    enum class Format { Markdown, Html, Pdf };

    explicit ReportDialog(QList<Source> sources, QWidget *parent = nullptr);
    /// The current run first (when it has samples), then the store's runs, newest first.
    static QList<Source> sourcesFor(const Run &current, const RunStore *store);
    ~ReportDialog() override;

    /// Picks the run (index into the sources) and the later run (-1: none). The report is built
    /// on a worker thread; reportReady() says when report() has it.
    void select(int run, int later = -1);
    void setFormat(Format format);
    Format format() const;

    const Report *report() const { return m_report ? &*m_report : nullptr; }
    /// What the preview shows (its plain text), for tests.
    QString previewText() const;
    /// Writes the report in the chosen format; an empty string or why it could not.
    QString saveTo(const QString &path) const;
    /// The bytes saveTo() writes.
    QByteArray rendered() const;

Q_SIGNALS:
    void reportReady();

private:
    void rebuild();
    void updatePreview();
    void save();
    void copyMarkdown();

    QList<Source> m_sources;
    QComboBox *m_run = nullptr;
    QComboBox *m_later = nullptr;
    QComboBox *m_format = nullptr;
    QLabel *m_status = nullptr;
    QTextBrowser *m_preview = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_copy = nullptr;
    std::optional<Report> m_report;
    bool m_building = false;
    int m_generation = 0;
};

} // namespace nestscope
