console.log("netlab");
