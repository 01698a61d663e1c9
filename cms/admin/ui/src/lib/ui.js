// Element Plus services used from script code, imported from their own
// modules so the bundle holds only the components the screens use.
export { ElMessage } from 'element-plus/es/components/message/index.mjs'
export { ElMessageBox } from 'element-plus/es/components/message-box/index.mjs'
