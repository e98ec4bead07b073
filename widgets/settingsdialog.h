#pragma once

#include "common/appsettings.h"

#include <QDialog>

class QComboBox;
class QSpinBox;

namespace nestscope {

/// File > Settings…: edits an AppSettings. The caller saves and applies what it accepts.
class SettingsDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsDialog)
public:
    explicit SettingsDialog(const AppSettings &settings, QWidget *parent = nullptr);
    ~SettingsDialog() override;

    /// What the form shows now.
    AppSettings settings() const;
    void setSettings(const AppSettings &settings);

    // The form's fields, for tests.
    QComboBox *planCombo() const { return m_plan; }
    QSpinBox *concurrencySpin() const { return m_concurrency; }
    QSpinBox *timeoutSpin() const { return m_timeout; }
    QComboBox *clientCombo() const { return m_client; }
    QSpinBox *outputCapSpin() const { return m_outputCap; }
    QComboBox *themeCombo() const { return m_theme; }

private:
    void selectPlan(const QString &spec);
    void planActivated(int index);

    QComboBox *m_plan;
    QSpinBox *m_concurrency;
    QSpinBox *m_timeout;
    QComboBox *m_client;
    QSpinBox *m_outputCap;
    QComboBox *m_theme;
    int m_lastPlanIndex = 0;
};

/// Applies a theme to the whole application at once (Qt 6.4 has no QStyleHints::setColorScheme):
/// Dark is the Fusion style with a dark palette; Light is the starting style with its own standard
/// (light) palette; System brings back the style and palettes the application started with.
void applyTheme(AppSettings::Theme theme);

} // namespace nestscope
