#include "findingspanel.h"

#include "findingsmodel.h"

#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QRegularExpression>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace nestscope {

namespace {

QString pre(const QString &text)
{
    return QStringLiteral("<pre style=\"margin:2px 0 6px 0\">%1</pre>").arg(text.toHtmlEscaped());
}

} // namespace

FindingsPanel::FindingsPanel(QWidget *parent)
    : QWidget(parent)
    , m_model(new FindingsModel(this))
    , m_headline(new QLabel(this))
    , m_list(new QListView(this))
    , m_details(new QTextBrowser(this))
    , m_copyFix(new QPushButton(tr("Copy &Fix Commands"), this))
    , m_tryFix(new QPushButton(tr("&Try the Fix…"), this))
{
    m_headline->setWordWrap(true);
    m_headline->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_list->setModel(m_model);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setWordWrap(true);
    m_list->setUniformItemSizes(false);
    m_list->setAccessibleName(tr("Findings"));
    m_details->setOpenExternalLinks(false);
    m_details->setOpenLinks(false); // references are plain text to copy, nothing is fetched
    m_details->setAccessibleName(tr("Finding details"));
    m_copyFix->setEnabled(false);
    m_copyFix->setToolTip(tr("Copies the fix commands of the selected finding, with their reverts as comments"));
    m_tryFix->setEnabled(false);
    m_tryFix->setToolTip(tr("Shows the exact commands and their reverts; when you apply them, reruns the plan and "
                            "compares, then lets you keep or revert the change"));

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_list);
    split->addWidget(m_details);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch();
    buttons->addWidget(m_copyFix);
    buttons->addWidget(m_tryFix);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_headline);
    layout->addWidget(split, 1);
    layout->addLayout(buttons);

    connect(m_list->selectionModel(), &QItemSelectionModel::currentChanged, this, &FindingsPanel::showCurrent);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &FindingsPanel::showCurrent);
    connect(m_copyFix, &QPushButton::clicked, this, [this] {
        const int row = m_model->rowOf(currentId());
        if (row >= 0) {
            QApplication::clipboard()->setText(fixScript(m_model->diagnosis().findings.at(row)));
        }
    });
    connect(m_tryFix, &QPushButton::clicked, this, [this] {
        const int row = m_model->rowOf(currentId());
        if (row >= 0 && !m_model->diagnosis().findings.at(row).fix.isEmpty()) {
            Q_EMIT tryFixRequested(m_model->diagnosis().findings.at(row));
        }
    });
    clear(tr("No run yet: run the plan (F5) to get a verdict."));
}

const Diagnosis &FindingsPanel::diagnosis() const
{
    return m_model->diagnosis();
}

void FindingsPanel::setDiagnosis(const Diagnosis &diagnosis)
{
    const QString keep = currentId();
    m_model->setDiagnosis(diagnosis);
    switch (diagnosis.verdict) {
    case Diagnosis::Verdict::Healthy:
        m_headline->setText(tr("<b>Healthy</b>: %1").arg(diagnosis.summary.toHtmlEscaped()));
        break;
    case Diagnosis::Verdict::Explained:
        m_headline->setText(tr("<b>Likely cause</b>: %1").arg(diagnosis.summary.toHtmlEscaped()));
        break;
    case Diagnosis::Verdict::Unexplained:
        m_headline->setText(tr("<b>No known cause fits</b>: %1").arg(diagnosis.summary.toHtmlEscaped()));
        break;
    case Diagnosis::Verdict::NoData:
        m_headline->setText(diagnosis.summary.toHtmlEscaped());
        break;
    }
    const int row = m_model->rowOf(keep);
    if (row >= 0) {
        m_list->setCurrentIndex(m_model->index(row));
    } else if (m_model->rowCount() > 0) {
        m_list->setCurrentIndex(m_model->index(0)); // the most likely cause, shown at once
    }
    showCurrent();
}

void FindingsPanel::clear(const QString &why)
{
    m_model->clear();
    m_headline->setText(why.toHtmlEscaped());
    showCurrent();
}

QString FindingsPanel::detailsText() const
{
    return m_details->toPlainText();
}

QString FindingsPanel::headline() const
{
    return m_headline->text();
}

QString FindingsPanel::currentId() const
{
    return m_list->currentIndex().data(FindingsModel::IdRole).toString();
}

void FindingsPanel::selectFinding(const QString &id)
{
    const int row = m_model->rowOf(id);
    if (row >= 0) {
        m_list->setCurrentIndex(m_model->index(row));
    }
}

void FindingsPanel::showCurrent()
{
    const QModelIndex current = m_list->currentIndex();
    if (!current.isValid()) {
        const Diagnosis &d = m_model->diagnosis();
        QString html;
        if (!d.notes.isEmpty()) {
            html += tr("<p><b>What the diagnosis could not read</b></p><ul>");
            for (const QString &n : d.notes) {
                html += QStringLiteral("<li>%1</li>").arg(n.toHtmlEscaped());
            }
            html += QStringLiteral("</ul>");
        }
        m_details->setHtml(html);
        m_copyFix->setEnabled(false);
        m_tryFix->setEnabled(false);
        Q_EMIT evidenceChanged({}, {});
        return;
    }
    const Finding f = current.data(FindingsModel::FindingRole).value<Finding>();
    m_details->setHtml(findingHtml(f));
    m_copyFix->setEnabled(!f.fix.isEmpty());
    m_tryFix->setEnabled(!f.fix.isEmpty());
    QSet<std::pair<QString, QString>> cells;
    for (const Evidence &e : f.evidence) {
        if (e.kind == Evidence::Kind::Sample) {
            cells.insert({ e.probeId, e.target });
        }
    }
    Q_EMIT evidenceChanged(cells, topologyNodes(f));
}

QString FindingsPanel::findingHtml(const Finding &f)
{
    QString html = QStringLiteral("<h3 style=\"margin-top:0\">%1</h3><p>%2</p>")
                       .arg(f.title.toHtmlEscaped(), f.cause.toHtmlEscaped());
    html += tr("<p><b>Confidence: %1</b> — %2</p>")
                .arg(FindingsModel::confidenceLabel(f.confidence), f.confidenceReason.toHtmlEscaped());
    QStringList affected = f.targets;
    if (!f.families.isEmpty()) {
        affected << tr("families: %1").arg(f.families.join(QStringLiteral(", ")));
    }
    if (!affected.isEmpty()) {
        html += tr("<p><b>Affects</b>: %1</p>").arg(affected.join(QStringLiteral(" · ")).toHtmlEscaped());
    }
    if (!f.evidence.isEmpty()) {
        html += tr("<p><b>Evidence</b></p>");
        for (const Evidence &e : f.evidence) {
            if (e.kind == Evidence::Kind::Sample) {
                html += QStringLiteral("<p style=\"margin-bottom:0\">%1 on <b>%2</b> (repetition %3): %4%5</p>")
                            .arg(e.probeId.toHtmlEscaped(), e.target.toHtmlEscaped())
                            .arg(e.repetition + 1)
                            .arg(e.status.toHtmlEscaped(),
                                e.note.isEmpty() ? QString() : QStringLiteral(" — ") + e.note.toHtmlEscaped());
                if (!e.command.isEmpty()) {
                    html += pre(QStringLiteral("$ ") + e.command);
                }
                if (!e.text.isEmpty()) {
                    html += pre(e.text);
                }
            } else {
                html += QStringLiteral("<p style=\"margin-bottom:0\">%1%2</p>")
                            .arg(e.source.toHtmlEscaped(),
                                e.note.isEmpty() ? QString() : QStringLiteral(" — ") + e.note.toHtmlEscaped());
                html += pre(e.text);
            }
        }
    }
    if (!f.fix.isEmpty()) {
        html += tr("<p><b>Fix</b> (run on the runner; each step's revert undoes it)</p>");
        for (const FixStep &step : f.fix) {
            if (!step.note.isEmpty()) {
                html += QStringLiteral("<p style=\"margin-bottom:0\">%1</p>").arg(step.note.toHtmlEscaped());
            }
            html += pre(step.command);
            if (!step.revert.isEmpty()) {
                html += tr("<p style=\"margin:0\">revert:</p>") + pre(step.revert);
            }
        }
    }
    if (!f.checks.isEmpty()) {
        html += tr("<p><b>To confirm</b></p>") + pre(f.checks.join(QLatin1Char('\n')));
    }
    if (!f.references.isEmpty()) {
        html += tr("<p><b>References</b></p><ul>");
        for (const QString &r : f.references) {
            html += QStringLiteral("<li>%1</li>").arg(r.toHtmlEscaped());
        }
        html += QStringLiteral("</ul>");
    }
    return html;
}

QString FindingsPanel::fixScript(const Finding &f)
{
    QString script = QStringLiteral("# %1\n").arg(f.title);
    for (const FixStep &step : f.fix) {
        if (!step.note.isEmpty()) {
            script += QStringLiteral("# %1\n").arg(step.note);
        }
        script += step.command + QLatin1Char('\n');
        if (!step.revert.isEmpty()) {
            script += QStringLiteral("#   revert: %1\n").arg(step.revert);
        }
    }
    return script;
}

QStringList FindingsPanel::topologyNodes(const Finding &f)
{
    QStringList ids;
    auto add = [&ids](const QString &id) {
        if (!ids.contains(id)) {
            ids << id;
        }
    };
    for (const QString &t : f.targets) {
        add(t == QLatin1String("runner") ? t : QStringLiteral("inst:") + t);
    }
    for (const Evidence &e : f.evidence) {
        if (e.kind == Evidence::Kind::Fact) {
            // "lxc network show lxdbr0" and the like name the bridge; the rest is the runner's
            static const QRegularExpression network(QStringLiteral("\\b(?:lxc|incus) network \\w+ (\\S+)"));
            if (const auto m = network.match(e.source); m.hasMatch()) {
                add(QStringLiteral("net:") + m.captured(1));
            } else if (e.source.startsWith(QLatin1String("instance "))) {
                add(QStringLiteral("inst:") + e.source.mid(9).section(QLatin1Char(' '), 0, 0));
            } else {
                add(QStringLiteral("runner"));
            }
        }
    }
    return ids;
}

} // namespace nestscope
