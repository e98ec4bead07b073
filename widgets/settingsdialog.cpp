#include "settingsdialog.h"

#include "plan/plan.h"

#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QPalette>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>
#include <QStyle>
#include <QStyleFactory>
#include <QVBoxLayout>

namespace nestscope {

namespace {

constexpr int kOtherFileRole = Qt::UserRole + 1;

QString builtinSpec(const QString &name)
{
    return QStringLiteral("builtin:") + name;
}

} // namespace

SettingsDialog::SettingsDialog(const AppSettings &settings, QWidget *parent)
    : QDialog(parent)
    , m_plan(new QComboBox(this))
    , m_concurrency(new QSpinBox(this))
    , m_timeout(new QSpinBox(this))
    , m_client(new QComboBox(this))
    , m_outputCap(new QSpinBox(this))
    , m_theme(new QComboBox(this))
{
    setWindowTitle(tr("Settings"));
    for (const QString &name : builtinPlanNames()) {
        m_plan->addItem(builtinSpec(name), builtinSpec(name));
    }
    m_plan->addItem(tr("Other file…"));
    m_plan->setItemData(m_plan->count() - 1, true, kOtherFileRole);
    m_plan->setToolTip(tr("The plan the workbench opens at start when no --plan is given"));
    connect(m_plan, &QComboBox::activated, this, &SettingsDialog::planActivated);

    m_concurrency->setRange(0, AppSettings::kMaxConcurrency);
    m_concurrency->setSpecialValueText(tr("Plan's own"));
    m_concurrency->setToolTip(tr("At most this many commands at once in a run"));

    m_timeout->setRange(0, AppSettings::kMaxTimeoutSeconds);
    m_timeout->setSuffix(tr(" s"));
    m_timeout->setSpecialValueText(tr("Plan's own"));
    m_timeout->setToolTip(tr("The timeout of every probe that does not set its own"));

    m_client->addItem(tr("Whichever the runner has (lxc first)"), int(InstanceTransport::Client::Auto));
    m_client->addItem(tr("LXD (lxc)"), int(InstanceTransport::Client::Lxc));
    m_client->addItem(tr("Incus (incus)"), int(InstanceTransport::Client::Incus));
    m_client->setToolTip(tr("The client that lists the instances and runs commands in them"));

    m_outputCap->setRange(int(AppSettings::kMinOutputCap / 1024), int(AppSettings::kMaxOutputCap / 1024));
    m_outputCap->setSuffix(tr(" KiB"));
    m_outputCap->setToolTip(tr("What a sample keeps of a command's stdout and of its stderr; the rest is cut"));

    m_theme->addItem(tr("System"), int(AppSettings::Theme::System));
    m_theme->addItem(tr("Light"), int(AppSettings::Theme::Light));
    m_theme->addItem(tr("Dark"), int(AppSettings::Theme::Dark));

    auto *form = new QFormLayout;
    form->addRow(tr("Default &plan:"), m_plan);
    form->addRow(tr("&Concurrency:"), m_concurrency);
    form->addRow(tr("Default &timeout:"), m_timeout);
    form->addRow(tr("Instance c&lient:"), m_client);
    form->addRow(tr("&Output cap per stream:"), m_outputCap);
    form->addRow(tr("T&heme:"), m_theme);

    auto *buttons = new QDialogButtonBox(
        QDialogButtonBox::Ok | QDialogButtonBox::Cancel | QDialogButtonBox::RestoreDefaults, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this, [this] {
        setSettings(AppSettings {});
    });

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);

    setTabOrder(m_plan, m_concurrency);
    setTabOrder(m_concurrency, m_timeout);
    setTabOrder(m_timeout, m_client);
    setTabOrder(m_client, m_outputCap);
    setTabOrder(m_outputCap, m_theme);
    setTabOrder(m_theme, buttons);

    setSettings(settings);
}

SettingsDialog::~SettingsDialog() = default;

AppSettings SettingsDialog::settings() const
{
    AppSettings s;
    s.defaultPlan = m_plan->currentData().toString();
    s.concurrency = m_concurrency->value();
    s.defaultTimeout = std::chrono::seconds(m_timeout->value());
    s.client = static_cast<InstanceTransport::Client>(m_client->currentData().toInt());
    s.outputCapBytes = qsizetype(m_outputCap->value()) * 1024;
    s.theme = static_cast<AppSettings::Theme>(m_theme->currentData().toInt());
    return s;
}

void SettingsDialog::setSettings(const AppSettings &settings)
{
    selectPlan(settings.defaultPlan);
    m_concurrency->setValue(settings.concurrency);
    m_timeout->setValue(int(settings.defaultTimeout.count()));
    m_client->setCurrentIndex(m_client->findData(int(settings.client)));
    m_outputCap->setValue(int(settings.outputCapBytes / 1024));
    m_theme->setCurrentIndex(m_theme->findData(int(settings.theme)));
}

void SettingsDialog::selectPlan(const QString &spec)
{
    int index = m_plan->findData(spec);
    if (index < 0) {
        // A file: shown by its path, just above "Other file…".
        index = m_plan->count() - 1;
        m_plan->insertItem(index, spec, spec);
    }
    m_plan->setCurrentIndex(index);
    m_lastPlanIndex = index;
}

void SettingsDialog::planActivated(int index)
{
    if (!m_plan->itemData(index, kOtherFileRole).toBool()) {
        m_lastPlanIndex = index;
        return;
    }
    // Until a file is chosen the combo shows the plan it showed before.
    m_plan->setCurrentIndex(m_lastPlanIndex);
    auto *dialog
        = new QFileDialog(this, tr("Default Plan"), QString(), tr("Plans (*.yaml *.yml *.json);;All files (*)"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(QFileDialog::ExistingFile);
    connect(dialog, &QFileDialog::fileSelected, this, &SettingsDialog::selectPlan);
    dialog->open();
}

void applyTheme(AppSettings::Theme theme)
{
    // What the application started with, kept once, so Light and System can go back to it. The
    // platform theme gives menus and the menu bar palettes of their own, which an application-wide
    // palette does not replace: they are set (and restored) by class too.
    static const char *const kOwnPalettes[] = { "QMenuBar", "QMenu" };
    static const QString originalStyle = QApplication::style()->name();
    static const QPalette originalPalette = QApplication::palette();
    static const QList<QPalette> originalOwn = [] {
        QList<QPalette> own;
        for (const char *className : kOwnPalettes) {
            own << QApplication::palette(className);
        }
        return own;
    }();
    const QString wanted = theme == AppSettings::Theme::Dark ? QStringLiteral("fusion") : originalStyle;
    if (QApplication::style()->name().compare(wanted, Qt::CaseInsensitive) != 0) {
        QApplication::setStyle(QStyleFactory::create(wanted));
    }
    if (theme == AppSettings::Theme::System) {
        QApplication::setPalette(originalPalette);
        for (qsizetype i = 0; i < originalOwn.size(); ++i) {
            QApplication::setPalette(originalOwn.at(i), kOwnPalettes[i]);
        }
        return;
    }
    if (theme == AppSettings::Theme::Light) {
        // The style's own palette, which is light whatever the desktop's colours are.
        const QPalette light = QApplication::style()->standardPalette();
        QApplication::setPalette(light);
        for (const char *className : kOwnPalettes) {
            QApplication::setPalette(light, className);
        }
        return;
    }
    QPalette dark;
    const QColor window(45, 45, 48);
    const QColor base(30, 30, 30);
    const QColor text(220, 220, 220);
    const QColor disabled(127, 127, 127);
    const QColor highlight(42, 130, 218);
    dark.setColor(QPalette::Window, window);
    dark.setColor(QPalette::WindowText, text);
    dark.setColor(QPalette::Base, base);
    dark.setColor(QPalette::AlternateBase, window);
    dark.setColor(QPalette::ToolTipBase, base);
    dark.setColor(QPalette::ToolTipText, text);
    dark.setColor(QPalette::PlaceholderText, disabled);
    dark.setColor(QPalette::Text, text);
    dark.setColor(QPalette::Button, window);
    dark.setColor(QPalette::ButtonText, text);
    dark.setColor(QPalette::BrightText, Qt::red);
    dark.setColor(QPalette::Link, highlight.lighter(130));
    dark.setColor(QPalette::Highlight, highlight);
    dark.setColor(QPalette::HighlightedText, Qt::white);
    dark.setColor(QPalette::Light, window.lighter(150));
    dark.setColor(QPalette::Midlight, window.lighter(125));
    dark.setColor(QPalette::Mid, window.darker(120));
    dark.setColor(QPalette::Dark, window.darker(150));
    dark.setColor(QPalette::Shadow, Qt::black);
    for (const auto role : { QPalette::WindowText, QPalette::Text, QPalette::ButtonText, QPalette::HighlightedText }) {
        dark.setColor(QPalette::Disabled, role, disabled);
    }
    QApplication::setPalette(dark);
    for (const char *className : kOwnPalettes) {
        QApplication::setPalette(dark, className);
    }
}

} // namespace nestscope
