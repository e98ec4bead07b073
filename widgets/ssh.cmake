# Connect dialog, host-key prompt and the runner connection (issue 3). Included from widgets/CMakeLists.txt.
target_sources(nestscope_widgets PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/connectdialog.cpp ${CMAKE_CURRENT_LIST_DIR}/connectdialog.h
    ${CMAKE_CURRENT_LIST_DIR}/hostkeydialog.cpp ${CMAKE_CURRENT_LIST_DIR}/hostkeydialog.h
)
