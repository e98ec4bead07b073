#include "helpdialogs.h"

#include "common/versions.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QSet>
#include <QTabWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace nestscope {

namespace {

QString plainText(QString text)
{
    // "&Open…" -> "Open…"; "&&" is a literal ampersand.
    text.replace(QLatin1String("&&"), QStringLiteral("\x01"));
    text.remove(QLatin1Char('&'));
    text.replace(QStringLiteral("\x01"), QStringLiteral("&"));
    return text;
}

QString keysOf(const QAction *action)
{
    QStringList keys;
    for (const QKeySequence &k : action->shortcuts()) {
        if (!k.isEmpty()) {
            keys << k.toString(QKeySequence::NativeText);
        }
    }
    return keys.join(QStringLiteral(", "));
}

void collectMenu(const QMenu *menu, const QString &group, QList<ShortcutEntry> &out, QSet<const QAction *> &seen)
{
    for (const QAction *a : menu->actions()) {
        if (a->isSeparator()) {
            continue;
        }
        if (a->menu()) {
            collectMenu(a->menu(), group + QStringLiteral(" › ") + plainText(a->text()), out, seen);
            continue;
        }
        seen.insert(a);
        if (!keysOf(a).isEmpty()) {
            out << ShortcutEntry { group, plainText(a->text()), keysOf(a), a->statusTip() };
        }
    }
}

/// The page or dock a widget sits in, by the name the window shows for it.
QString placeOf(const QWidget *widget, const QMainWindow *window)
{
    for (const QWidget *w = widget; w && w != window; w = w->parentWidget()) {
        if (const auto *dock = qobject_cast<const QDockWidget *>(w)) {
            return plainText(dock->windowTitle());
        }
        const QWidget *parent = w->parentWidget();
        // QTabWidget's pages sit in its internal stack.
        const auto *tabs = parent ? qobject_cast<const QTabWidget *>(parent->parentWidget()) : nullptr;
        if (tabs && tabs->indexOf(const_cast<QWidget *>(w)) >= 0) {
            return QCoreApplication::translate("nestscope::ShortcutsDialog", "%1 page")
                .arg(plainText(tabs->tabText(tabs->indexOf(const_cast<QWidget *>(w)))));
        }
    }
    return QCoreApplication::translate("nestscope::ShortcutsDialog", "Window");
}

} // namespace

QList<ShortcutEntry> windowShortcuts(QMainWindow *window)
{
    QList<ShortcutEntry> out;
    QSet<const QAction *> seen;
    for (const QAction *top : window->menuBar()->actions()) {
        if (top->menu()) {
            collectMenu(top->menu(), plainText(top->text()), out, seen);
        }
    }
    // Actions a page, a dock or a toolbar holds without a menu: listed under where they work.
    QList<ShortcutEntry> others;
    for (const QAction *a : window->findChildren<QAction *>()) {
        if (seen.contains(a) || a->menu() || keysOf(a).isEmpty()) {
            continue;
        }
        const QWidget *holder = nullptr;
        for (QObject *o : a->associatedObjects()) {
            if (auto *w = qobject_cast<QWidget *>(o); w && !qobject_cast<QMenu *>(w)) {
                holder = w;
                break;
            }
        }
        if (!holder) {
            continue; // in no widget: the shortcut does nothing
        }
        seen.insert(a);
        others << ShortcutEntry { placeOf(holder, window), plainText(a->text()), keysOf(a), a->statusTip() };
    }
    std::stable_sort(others.begin(), others.end(), [](const ShortcutEntry &x, const ShortcutEntry &y) {
        return x.group < y.group;
    });
    return out + others;
}

ShortcutsDialog::ShortcutsDialog(const QList<ShortcutEntry> &entries, QWidget *parent)
    : QDialog(parent)
    , m_search(new QLineEdit(this))
    , m_list(new QTreeWidget(this))
{
    setWindowTitle(tr("Keyboard Shortcuts"));
    setObjectName(QStringLiteral("ShortcutsDialog"));
    m_search->setPlaceholderText(tr("Search actions and keys"));
    m_search->setClearButtonEnabled(true);
    m_search->setAccessibleName(tr("Search shortcuts"));
    m_list->setColumnCount(2);
    m_list->setHeaderLabels({ tr("Action"), tr("Shortcut") });
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setSelectionMode(QAbstractItemView::NoSelection);
    m_list->setAccessibleName(tr("Keyboard shortcuts"));
    m_list->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_list->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_list->header()->setStretchLastSection(false);
    QTreeWidgetItem *group = nullptr;
    for (const ShortcutEntry &e : entries) {
        if (!group || group->text(0) != e.group) {
            group = new QTreeWidgetItem(m_list, { e.group });
            QFont bold = group->font(0);
            bold.setBold(true);
            group->setFont(0, bold);
            group->setFirstColumnSpanned(true);
            group->setExpanded(true);
        }
        auto *item = new QTreeWidgetItem(group, { e.action, e.keys });
        item->setToolTip(0, e.tip);
    }
    m_list->expandAll();
    connect(m_search, &QLineEdit::textChanged, this, &ShortcutsDialog::filter);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_search);
    layout->addWidget(m_list, 1);
    layout->addWidget(buttons);
    resize(520, 620);
}

void ShortcutsDialog::filter(const QString &text)
{
    const QString needle = text.trimmed();
    for (int g = 0; g < m_list->topLevelItemCount(); ++g) {
        QTreeWidgetItem *group = m_list->topLevelItem(g);
        const bool groupMatches = group->text(0).contains(needle, Qt::CaseInsensitive);
        int shown = 0;
        for (int i = 0; i < group->childCount(); ++i) {
            QTreeWidgetItem *item = group->child(i);
            const bool match = needle.isEmpty() || groupMatches || item->text(0).contains(needle, Qt::CaseInsensitive)
                || item->text(1).contains(needle, Qt::CaseInsensitive);
            item->setHidden(!match);
            shown += match ? 1 : 0;
        }
        group->setHidden(shown == 0);
    }
}

QStringList ShortcutsDialog::visibleEntries() const
{
    QStringList out;
    for (int g = 0; g < m_list->topLevelItemCount(); ++g) {
        const QTreeWidgetItem *group = m_list->topLevelItem(g);
        if (group->isHidden()) {
            continue;
        }
        for (int i = 0; i < group->childCount(); ++i) {
            const QTreeWidgetItem *item = group->child(i);
            if (!item->isHidden()) {
                out << group->text(0) + QLatin1Char('/') + item->text(0) + QLatin1Char('=') + item->text(1);
            }
        }
    }
    return out;
}

AboutDialog::AboutDialog(const QString &runnerClient, QWidget *parent)
    : QDialog(parent)
    , m_clients(new LxdClientVersions(this))
    , m_lxc(new QLabel(this))
    , m_incus(new QLabel(this))
{
    setWindowTitle(tr("About Nestscope"));
    setObjectName(QStringLiteral("AboutDialog"));
    const ComponentVersions v = componentVersions();

    auto *title = new QLabel(tr("Nestscope %1").arg(v.nestscope), this);
    QFont big = title->font();
    big.setBold(true);
    big.setPointSizeF(big.pointSizeF() * 1.5);
    title->setFont(big);
    auto *what = new QLabel(tr("Find out why the LXD or Incus instances on a CI runner have no network, while the "
                               "runner itself does: the same probes on the runner and in each instance, side by side."),
        this);
    what->setWordWrap(true);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    auto row = [&](const QString &name, QLabel *value) {
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        value->setTextFormat(Qt::PlainText);
        value->setWordWrap(true);
        form->addRow(name + QLatin1Char(':'), value);
        m_rows.append({ name, value });
    };
    row(tr("Nestscope"), new QLabel(v.nestscope, this));
    row(tr("Qt"),
        new QLabel(
            v.qtRuntime == v.qtBuild ? v.qtRuntime : tr("%1 (built with %2)").arg(v.qtRuntime, v.qtBuild), this));
    row(tr("libssh"), new QLabel(v.libssh, this));
    row(tr("Graphviz"), new QLabel(v.graphviz, this));
    row(tr("LXD client (lxc) here"), m_lxc);
    row(tr("Incus client (incus) here"), m_incus);
    if (!runnerClient.isEmpty()) {
        row(tr("On the runner"), new QLabel(runnerClient, this));
    }

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto *copy = buttons->addButton(tr("&Copy"), QDialogButtonBox::ActionRole);
    copy->setToolTip(tr("Copy the versions, e.g. for a bug report"));
    connect(copy, &QPushButton::clicked, this, [this] {
        QApplication::clipboard()->setText(versionsText());
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // Enter closes, as Esc does; Copy is for when it is asked for.
    buttons->button(QDialogButtonBox::Close)->setDefault(true);
    buttons->button(QDialogButtonBox::Close)->setFocus();

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(what);
    layout->addSpacing(8);
    layout->addLayout(form);
    layout->addStretch(1);
    layout->addWidget(buttons);

    // The clients answer in their own time (a snap's first start takes seconds): the dialog is
    // usable meanwhile.
    connect(m_clients, &LxdClientVersions::finished, this, [this] {
        showClients();
        Q_EMIT clientsFound();
    });
    m_clients->start();
    showClients();
    resize(560, sizeHint().height());
}

AboutDialog::~AboutDialog() = default;

void AboutDialog::showClients()
{
    m_lxc->setText(m_clients->lxcText());
    m_incus->setText(m_clients->incusText());
}

bool AboutDialog::clientsKnown() const
{
    return m_clients->isFinished();
}

QString AboutDialog::versionsText() const
{
    QStringList lines;
    for (const auto &[name, label] : m_rows) {
        lines << name + QStringLiteral(": ") + label->text();
    }
    return lines.join(QLatin1Char('\n'));
}

QString documentationPath()
{
    QStringList candidates {
        // installed: <prefix>/bin/nestscope -> <prefix>/share/doc/nestscope/README.md
        QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../share/doc/nestscope/README.md")),
        QStringLiteral("/usr/share/doc/nestscope/README.md"),
    };
#ifdef NESTSCOPE_SOURCE_README
    candidates << QStringLiteral(NESTSCOPE_SOURCE_README); // a build run from its source tree
#endif
    for (const QString &c : std::as_const(candidates)) {
        const QFileInfo f(c);
        if (f.isFile() && f.isReadable()) {
            return f.canonicalFilePath();
        }
    }
    return {};
}

QString documentationOnline()
{
    return QStringLiteral(NESTSCOPE_HOMEPAGE);
}

} // namespace nestscope
