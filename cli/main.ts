console.log("flows cli stub")
